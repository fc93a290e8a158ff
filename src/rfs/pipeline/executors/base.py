"""The executor port: the run driver hands an executor one task attempt; it returns the outcome.

The data types live in :mod:`rfs.pipeline.executors.attempt` and the code that runs an attempt
in :mod:`rfs.pipeline.executors.execute`; both are re-exported here.

Contract
--------
The run driver (:mod:`rfs.pipeline.driver`, started by :mod:`rfs.pipeline.runner`) owns
everything about a run: the plan, scheduling (a task is submitted as soon as its own upstream
tasks are done), ``max_concurrency``, retries and their backoff, ``fail_safe`` and skipping,
the run store and lifecycle events. An executor only runs **one attempt of one task** and
reports how it went:

* ``await executor.start()`` before the first ``submit`` (start pools, connect brokers);
  ``await executor.shutdown()`` at the end (idempotent; must not hang on stuck tasks).
  ``run_pipeline`` calls ``start()`` at the beginning of every run, so ``start`` must be
  idempotent; it calls ``shutdown()`` only for executors it made itself from a name
  (``executor="process"`` through :func:`rfs.pipeline.executors.get_executor`, which builds
  ``MultiprocessExecutor()`` / ``CeleryExecutor()`` with no arguments, so their defaults come
  from arguments' defaults or ``RFS_*`` environment variables). An executor instance passed in
  stays warm across runs and is shut down by its owner.
* ``outcome = await executor.submit(attempt)`` runs one :class:`TaskAttempt` and returns an
  :class:`AttemptOutcome`. It never raises for a failure of the task itself: an exception in
  the task, an output that cannot be saved, a killed worker process or an exceeded ``timeout``
  are all returned as a non-succeeded outcome (``FAILED`` or ``TIMED_OUT``) with error text.
  The driver may call ``submit`` many times concurrently; the executor may queue internally.
  If the driver cancels a ``submit`` (the run is aborted), the executor should stop the attempt
  when it can and must not leak a worker.
* The executor enforces ``attempt.timeout`` (seconds, per attempt): cancel the coroutine,
  kill the process, or use the queue's time limit. It does not retry: ``max_retries`` is the
  driver's job (it submits a new attempt with ``attempt + 1``).
* Outputs travel through ``attempt.io_manager``, never through the executor's own channel: the
  code running the task loads its inputs (:func:`load_inputs`) and saves its output under
  result id :data:`OUTPUT_ID`, or each item of a stream under :func:`stream_item_id` ``(i)``
  as it is produced, and the outcome carries only ids and counts. :func:`run_attempt_sync`
  (for worker processes and threads) and :func:`run_attempt_async` (for the event loop) do all
  of that; an executor running tasks elsewhere calls one of them there.
* Functions cross process boundaries as a :class:`TaskRef` (module + qualname, and the file
  the module was loaded from when it is not importable by name); ``attempt.func`` is only a
  same-process shortcut and is dropped when the attempt is pickled. ``TaskRef.resolve`` also
  finds a module already loaded from that file under another name, so no executor needs to.
* An I/O manager with ``process_local = True`` keeps outputs inside one process: executors
  running tasks elsewhere refuse it (a failed, non-retryable outcome) instead of losing them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from rfs.pipeline.executors.attempt import (
    OUTPUT_ID,
    AttemptOutcome,
    AttemptStatus,
    InputMode,
    InputRef,
    TaskAttempt,
    TaskRef,
    stream_item_id,
)
from rfs.pipeline.executors.execute import load_inputs, run_attempt_async, run_attempt_sync

__all__ = [
    "OUTPUT_ID",
    "AttemptOutcome",
    "AttemptStatus",
    "Executor",
    "InputMode",
    "InputRef",
    "TaskAttempt",
    "TaskRef",
    "load_inputs",
    "run_attempt_async",
    "run_attempt_sync",
    "stream_item_id",
]


@runtime_checkable
class Executor(Protocol):
    """Runs single task attempts. See the module docstring for the full contract."""

    name: str

    async def start(self) -> None:
        """Prepare to run attempts (start workers, connect)."""
        ...

    async def submit(self, attempt: TaskAttempt) -> AttemptOutcome:
        """Run one attempt to its end and report; never raises for task failures."""
        ...

    async def shutdown(self) -> None:
        """Release workers and connections; idempotent."""
        ...
