"""``MultiprocessExecutor``: task attempts run in a pool of warm worker processes."""

from __future__ import annotations

import os
import time
from multiprocessing.context import BaseContext
from typing import Any

from rfs.pipeline.executors._procpool import Crashed, Done, Raised, TimedOut, WorkerPool
from rfs.pipeline.executors._shared_io import refuse_process_local
from rfs.pipeline.executors.attempt import AttemptOutcome, TaskAttempt
from rfs.pipeline.executors.execute import run_attempt_async, run_attempt_sync
from rfs.pipeline.kinds import ASYNC_KINDS

__all__ = ["MultiprocessExecutor"]


def _run_in_worker(attempt: TaskAttempt) -> Any:
    """Worker-side entry: sync kinds run here; async kinds return a coroutine for its loop."""
    if attempt.kind in ASYNC_KINDS:
        return run_attempt_async(attempt)
    return run_attempt_sync(attempt)


class MultiprocessExecutor:
    """Runs each attempt in one of ``max_workers`` long-lived worker processes.

    Workers are started once (:meth:`start`) and reused, so dispatching a task costs a pipe
    round trip, not a process start. Task functions are sent by reference (module and
    qualname, or the file they were loaded from) and must be defined at module level. A
    worker loads the task's inputs and saves its outputs through the attempt's I/O manager
    itself, so only ids cross the pipe.

    ``timeout`` is enforced by killing the worker process (then replacing it); a worker that
    dies mid-task (SIGKILL, OOM) is noticed at once and the attempt reported as failed and
    retryable. ``mp_context`` picks the start method (default ``"spawn"``; ``"forkserver"``
    starts replacements faster when the driver imports little).
    """

    name = "process"

    def __init__(
        self, max_workers: int | None = None, *, mp_context: str | BaseContext | None = None
    ) -> None:
        self.max_workers = max_workers or os.cpu_count() or 1
        self._mp_context = mp_context
        self._pool = WorkerPool(self.max_workers, mp_context=mp_context)

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the live worker processes (for monitoring, and fault tests)."""
        return self._pool.pids

    async def start(self) -> None:
        """Start the worker processes and wait until they are ready (idempotent)."""
        if self._pool.closed:  # started again after shutdown: a fresh pool
            self._pool = WorkerPool(self.max_workers, mp_context=self._mp_context)
        await self._pool.start()

    async def submit(self, attempt: TaskAttempt) -> AttemptOutcome:
        """Run one attempt in a worker; failures, crashes and timeouts come back as outcomes."""
        started = time.time()
        if "<locals>" in attempt.ref.qualname:
            return AttemptOutcome.failed(
                f"task {attempt.task_name!r} is defined inside a function "
                f"({attempt.ref.module}.{attempt.ref.qualname}); worker processes import tasks "
                "by name, so define it at module level",
                error_type="TaskNotImportable",
                started_at=started,
                retryable=False,
            )
        refused = refuse_process_local(attempt, self.name, started)
        if refused is not None:
            return refused
        outcome = await self._pool.run(_run_in_worker, attempt, time_limit=attempt.timeout)
        if isinstance(outcome, Done):
            if isinstance(outcome.value, AttemptOutcome):
                return outcome.value
            return AttemptOutcome.failed(
                f"worker returned {type(outcome.value).__name__}, not an AttemptOutcome",
                error_type="ExecutorError",
                started_at=started,
            )
        if isinstance(outcome, TimedOut):
            return AttemptOutcome.timed_out(attempt.task_name, outcome.timeout, started_at=started)
        if isinstance(outcome, Crashed):
            return AttemptOutcome.failed(
                f"task {attempt.task_name!r} attempt {attempt.attempt}: {outcome.description}",
                error_type="WorkerCrashed",
                started_at=started,
            )
        assert isinstance(outcome, Raised)
        return AttemptOutcome.failed(
            f"task {attempt.task_name!r}: {outcome.type_name}: {outcome.message}",
            error_type=outcome.type_name,
            started_at=started,
            tb=outcome.traceback,
        )

    async def shutdown(self) -> None:
        """Stop the workers: idle ones exit cleanly, stuck ones are killed. Idempotent."""
        await self._pool.aclose()

    def __repr__(self) -> str:
        return f"MultiprocessExecutor(max_workers={self.max_workers})"
