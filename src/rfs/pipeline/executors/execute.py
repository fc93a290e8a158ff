"""Running one attempt where it is executed (event loop, thread, worker process, Celery worker).

Loads the inputs from the attempt's I/O manager, calls the task function with the task
context set, saves the output (or each stream item) and reports an :class:`AttemptOutcome`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from rfs.monitoring.context import reset_correlation_id, set_correlation_id
from rfs.pipeline.context import TaskContext, _current
from rfs.pipeline.executors.attempt import (
    OUTPUT_ID,
    AttemptOutcome,
    AttemptStatus,
    InputMode,
    InputRef,
    TaskAttempt,
    stream_item_id,
)
from rfs.pipeline.io.base import IOManager
from rfs.pipeline.kinds import ASYNC_KINDS, TaskKind

__all__ = ["OutputSaveError", "load_inputs", "run_attempt_async", "run_attempt_sync"]


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
    cid = attempt.correlation_id
    cid_token = set_correlation_id(cid) if cid else None  # a worker process starts without one
    try:
        return _run_sync(attempt)
    finally:
        if cid_token is not None:
            reset_correlation_id(cid_token)
        _current.reset(token)


def _run_sync(attempt: TaskAttempt) -> AttemptOutcome:
    started = time.time()
    try:
        func = attempt.resolve()
        kwargs = load_inputs(attempt)
        if attempt.kind in ASYNC_KINDS:
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
    if attempt.kind not in ASYNC_KINDS:
        return await asyncio.to_thread(run_attempt_sync, attempt)
    started = time.time()
    token = _current.set(_context(attempt))
    cid = attempt.correlation_id
    cid_token = set_correlation_id(cid) if cid else None
    try:
        func = attempt.resolve()
        kwargs = load_inputs(attempt)
        return await _run_async_body(attempt, func, kwargs, started)
    except Exception as exc:
        return _failure(exc, started)
    finally:
        if cid_token is not None:
            reset_correlation_id(cid_token)
        _current.reset(token)
