"""The executor port: the run driver hands an executor one task attempt; it returns the outcome.

Contract
--------
The run driver (:mod:`rfs.pipeline.runner`) owns everything about a run: the plan, scheduling
(a task is submitted as soon as its own upstream tasks are done), ``max_concurrency``, retries
and their backoff, ``fail_safe`` and skipping, the run store and lifecycle events. An executor
only runs **one attempt of one task** and reports how it went:

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
  same-process shortcut and is dropped when the attempt is pickled.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import sys
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from rfs.pipeline._fastinit import fast_init
from rfs.pipeline.context import TaskContext, _current
from rfs.pipeline.io.base import IOManager
from rfs.pipeline.registry import TaskKind

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

#: Result id of a task's single (non-stream) output.
OUTPUT_ID = "output"


def stream_item_id(index: int) -> str:
    """Result id of item ``index`` of a stream; ids sort in production order."""
    return f"item-{index:09d}"


@fast_init
@dataclass(frozen=True)
class TaskRef:
    """Where a task function lives, importable by another process."""

    module: str
    qualname: str
    file: str | None = None

    @classmethod
    def of(cls, func: Callable[..., Any]) -> TaskRef:
        """Reference to ``func``; records its file when its module was loaded from a path."""
        module = sys.modules.get(func.__module__)
        file = getattr(module, "__file__", None) if module is not None else None
        return cls(func.__module__, func.__qualname__, file)

    def resolve(self) -> Callable[..., Any]:
        """Import the module (by name, else from ``file``) and return the function."""
        module = sys.modules.get(self.module)
        if module is None:
            try:
                module = importlib.import_module(self.module)
            except ImportError:
                if self.file is None:
                    raise
                spec = importlib.util.spec_from_file_location(self.module, self.file)
                if spec is None or spec.loader is None:
                    raise ImportError(f"cannot load {self.module!r} from {self.file}") from None
                module = importlib.util.module_from_spec(spec)
                sys.modules[self.module] = module
                spec.loader.exec_module(module)
        obj: Any = module
        for part in self.qualname.split("."):
            obj = getattr(obj, part)
        if not callable(obj):
            raise TypeError(f"{self.module}.{self.qualname} is not callable")
        return obj  # type: ignore[no-any-return]


class InputMode(StrEnum):
    """How a downstream parameter receives an upstream output."""

    VALUE = "value"  # the single output (or, for a stream, a lazy iterator: see ITER)
    ITER = "iter"  # a stream as a lazy sync iterator, items loaded one at a time
    AITER = "aiter"  # a stream as a lazy async iterator
    LIST = "list"  # a stream materialised as a list


@fast_init
@dataclass(frozen=True)
class InputRef:
    """One parameter fed from an upstream task's output."""

    task_name: str
    mode: InputMode = InputMode.VALUE
    #: number of items when the upstream output is a stream, else ``None``
    stream_count: int | None = None


class AttemptStatus(StrEnum):
    """How one attempt ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


@fast_init
@dataclass(frozen=True)
class TaskAttempt:
    """Everything needed to run one attempt of one task, anywhere."""

    run_id: str
    task_name: str
    attempt: int  # 1 for the first try, 2 for the first retry, ...
    ref: TaskRef
    kind: TaskKind
    io_manager: IOManager
    inputs: Mapping[str, InputRef] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)  # constant keyword arguments
    timeout: float | None = None
    max_retries: int = 0
    stream_output: bool = False
    func: Callable[..., Any] | None = field(default=None, compare=False, repr=False)

    @property
    def is_stream(self) -> bool:
        return self.stream_output or self.kind in (TaskKind.GENERATOR, TaskKind.ASYNC_GENERATOR)

    def resolve(self) -> Callable[..., Any]:
        """The task function: ``func`` when in the same process, else imported via ``ref``."""
        return self.func if self.func is not None else self.ref.resolve()

    def __reduce__(self) -> tuple[Any, ...]:
        # the function object itself never crosses a process boundary; ``ref`` does
        return (_rebuild_attempt, (replace(self, func=None).__dict__.copy(),))


def _rebuild_attempt(state: dict[str, Any]) -> TaskAttempt:
    return TaskAttempt(**state)


@fast_init
@dataclass(frozen=True)
class AttemptOutcome:
    """What happened to one attempt. Only ids and counts: values stay in the I/O manager."""

    status: AttemptStatus
    result_ids: tuple[str, ...] = ()
    stream_count: int | None = None
    error: str | None = None  # "ExceptionType: message"
    error_type: str | None = None
    traceback: str | None = None
    retryable: bool = True  # False when another attempt cannot help (e.g. unpicklable output)
    started_at: float = 0.0  # time.time()
    finished_at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is AttemptStatus.SUCCEEDED

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    @classmethod
    def failed(
        cls,
        error: str,
        *,
        error_type: str = "Error",
        started_at: float = 0.0,
        status: AttemptStatus = AttemptStatus.FAILED,
        retryable: bool = True,
        tb: str | None = None,
    ) -> AttemptOutcome:
        """A failed (or timed-out) outcome with the given error text."""
        now = time.time()
        return cls(
            status=status,
            error=error,
            error_type=error_type,
            traceback=tb,
            retryable=retryable,
            started_at=started_at or now,
            finished_at=now,
        )

    @classmethod
    def timed_out(cls, task_name: str, timeout: float, *, started_at: float) -> AttemptOutcome:
        """The outcome of an attempt stopped after ``timeout`` seconds."""
        return cls.failed(
            f"task {task_name!r} timed out after {timeout:g}s",
            error_type="TimeoutError",
            started_at=started_at,
            status=AttemptStatus.TIMED_OUT,
        )


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


# -- running an attempt (shared by every executor) -----------------------------------------------


class OutputSaveError(Exception):
    """The task ran, but its output could not be stored (e.g. it cannot be pickled)."""


def _iter_stream(io: IOManager, run_id: str, ref: InputRef) -> Iterator[Any]:
    for i in range(ref.stream_count or 0):
        yield io.load(run_id, ref.task_name, stream_item_id(i))


async def _aiter_stream(io: IOManager, run_id: str, ref: InputRef) -> AsyncIterator[Any]:
    for i in range(ref.stream_count or 0):
        yield io.load(run_id, ref.task_name, stream_item_id(i))


def load_inputs(attempt: TaskAttempt) -> dict[str, Any]:
    """Keyword arguments for the task: ``params`` plus upstream outputs from the I/O manager.

    Streams are passed lazily (one item in memory at a time) unless the mode is ``LIST``.
    """
    kwargs = dict(attempt.params) if attempt.params else {}
    if not attempt.inputs:
        return kwargs
    io, run_id = attempt.io_manager, attempt.run_id
    for param, ref in attempt.inputs.items():
        if ref.stream_count is None:
            kwargs[param] = io.load(run_id, ref.task_name, OUTPUT_ID)
        elif ref.mode is InputMode.LIST:
            kwargs[param] = list(_iter_stream(io, run_id, ref))
        elif ref.mode is InputMode.AITER:
            kwargs[param] = _aiter_stream(io, run_id, ref)
        else:
            kwargs[param] = _iter_stream(io, run_id, ref)
    return kwargs


def _save(attempt: TaskAttempt, result_id: str, value: Any) -> None:
    try:
        attempt.io_manager.save(attempt.run_id, attempt.task_name, result_id, value)
    except Exception as exc:
        raise OutputSaveError(
            f"output {result_id!r} of task {attempt.task_name!r} could not be saved by "
            f"{type(attempt.io_manager).__name__}: {type(exc).__name__}: {exc}"
        ) from exc


def _success(attempt: TaskAttempt, started: float, count: int | None) -> AttemptOutcome:
    ids = (OUTPUT_ID,) if count is None else ()
    return AttemptOutcome(
        status=AttemptStatus.SUCCEEDED,
        result_ids=ids,
        stream_count=count,
        started_at=started,
        finished_at=time.time(),
    )


def _failure(exc: BaseException, started: float) -> AttemptOutcome:
    retryable = not isinstance(exc, OutputSaveError)
    return AttemptOutcome.failed(
        str(exc) if isinstance(exc, OutputSaveError) else f"{type(exc).__name__}: {exc}",
        error_type=type(exc.__cause__ if isinstance(exc, OutputSaveError) else exc).__name__,
        started_at=started,
        retryable=retryable,
        tb="".join(traceback.format_exception(exc)),
    )


def _consume_sync(attempt: TaskAttempt, result: Any) -> int | None:
    """Save a finished value, or each item of an iterable output; return the item count."""
    if not attempt.is_stream:
        _save(attempt, OUTPUT_ID, result)
        return None
    count = 0
    for item in result:
        _save(attempt, stream_item_id(count), item)
        count += 1
    return count


def _context(attempt: TaskAttempt) -> TaskContext:
    return TaskContext(attempt.run_id, attempt.task_name, attempt.attempt, attempt.max_retries)


def run_attempt_sync(attempt: TaskAttempt) -> AttemptOutcome:
    """Run an attempt in the current thread (async kinds get their own event loop)."""
    token = _current.set(_context(attempt))
    try:
        return _run_sync(attempt)
    finally:
        _current.reset(token)


def _run_sync(attempt: TaskAttempt) -> AttemptOutcome:
    started = time.time()
    try:
        func = attempt.resolve()
        kwargs = load_inputs(attempt)
        if attempt.kind in (TaskKind.ASYNC, TaskKind.ASYNC_GENERATOR):
            return asyncio.run(_run_async_body(attempt, func, kwargs, started))
        count = _consume_sync(attempt, func(**kwargs))
        return _success(attempt, started, count)
    except Exception as exc:
        return _failure(exc, started)


async def _run_async_body(
    attempt: TaskAttempt, func: Callable[..., Any], kwargs: dict[str, Any], started: float
) -> AttemptOutcome:
    try:
        if attempt.kind is TaskKind.ASYNC_GENERATOR:
            count = 0
            async for item in func(**kwargs):
                _save(attempt, stream_item_id(count), item)
                count += 1
            return _success(attempt, started, count)
        result = func(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        if attempt.is_stream and hasattr(result, "__aiter__"):
            count = 0
            async for item in result:
                _save(attempt, stream_item_id(count), item)
                count += 1
            return _success(attempt, started, count)
        return _success(attempt, started, _consume_sync(attempt, result))
    except Exception as exc:
        return _failure(exc, started)


async def run_attempt_async(attempt: TaskAttempt) -> AttemptOutcome:
    """Run an attempt on the running loop: async kinds directly, sync kinds in a thread.

    Does not enforce ``attempt.timeout``; the executor wraps this in ``asyncio.wait_for``.
    """
    if attempt.kind in (TaskKind.SYNC, TaskKind.GENERATOR):
        return await asyncio.to_thread(run_attempt_sync, attempt)
    started = time.time()
    token = _current.set(_context(attempt))
    try:
        func = attempt.resolve()
        kwargs = load_inputs(attempt)
        return await _run_async_body(attempt, func, kwargs, started)
    except Exception as exc:
        return _failure(exc, started)
    finally:
        _current.reset(token)
