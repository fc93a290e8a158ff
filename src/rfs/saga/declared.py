"""Driving a declared saga (``Saga.add_step``) on the engine: start, go forward, resume.

The step list is known up front, so each step's success and the next step's start are
logged in one write: one transaction per step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from rfs.result import Failure, Result, Success
from rfs.saga.engine import Execution, describe
from rfs.saga.errors import (
    CompensationFailure,
    ContextNotSerializable,
    ExecutionExists,
    SagaError,
    SagaLogError,
)
from rfs.saga.records import EventKind, ExecutionRecord, SagaStatus
from rfs.saga.state import ExecutionState
from rfs.saga.step import SagaStep


async def start(ex: Execution) -> Result[Any, SagaError]:
    """Log a new execution with its first step, then drive it."""
    events = [ex.event(EventKind.SAGA_STARTED)]
    if ex.steps:
        events.append(ex.event(EventKind.STEP_STARTED, 0, 1))
    else:
        events.append(ex.event(EventKind.SAGA_COMPLETED))
    try:
        await ex.store.start(ex.id, ex.name, ex.context, ex.owner, ex.lease_until(), events)
    except ContextNotSerializable:
        raise
    except ExecutionExists as exc:
        return await _recorded_outcome(ex, exc)
    except Exception as exc:
        return Failure(SagaError(ex.name, ex.id, None, exc, SagaStatus.COMPENSATED))
    if not ex.steps:
        with contextlib.suppress(Exception):
            await ex.write([], status=SagaStatus.COMPLETED)
        return Success(ex.context)
    async with ex.heartbeat():
        return await _forward(ex, 0, 1, recovering=False)


async def resume(ex: Execution, record: ExecutionRecord) -> Result[Any, SagaError]:
    """Drive an execution taken over from a dead process to a final state."""
    ex.context = record.context
    ex.status = record.status
    state = ExecutionState.replay(record.events)
    ex.restore(state)
    if state.failed:
        ex.failed_step = state.failed_step
    cause = (state.failure or "failed") if state.failed else "interrupted"
    async with ex.heartbeat():
        try:
            if record.status is not SagaStatus.RUNNING:
                await ex.write([ex.event(EventKind.RECOVERED, detail=ex.owner)])
                return await ex.compensate(cause)
            running = state.running()
            if running is not None:
                index, attempt = running[0], running[1] + 1
                await ex.write(
                    [
                        ex.event(EventKind.RECOVERED, detail=ex.owner),
                        ex.event(EventKind.STEP_STARTED, index, attempt, "recovered"),
                    ]
                )
                return await _forward(ex, index, attempt, recovering=True)
            if len(ex.completed) == len(ex.steps):
                await ex.write([ex.event(EventKind.SAGA_COMPLETED)], status=SagaStatus.COMPLETED)
                return Success(ex.context)
            index = max(ex.completed, default=-1) + 1
            await ex.write([ex.event(EventKind.STEP_STARTED, index, 1, "recovered")])
            return await _forward(ex, index, 1, recovering=True)
        except SagaLogError as exc:
            return ex.abandoned(ex.failed_step, exc)


async def _forward(
    ex: Execution, index: int, attempt: int, *, recovering: bool
) -> Result[Any, SagaError]:
    """Run steps from ``index``; the log already says step ``index`` attempt ``attempt``."""
    while index < len(ex.steps):
        try:
            result, attempt = await ex.attempts(index, attempt, recovering=recovering, logged=True)
        except Exception as exc:  # a retry could not be logged
            return ex.abandoned(ex.steps[index].name, exc)
        if isinstance(result, Failure):
            return await _fail(ex, index, attempt, result.error)
        ex.completed.append(index)
        outcome = await _log_success(ex, index, attempt)
        if outcome is not None:
            return outcome
        index += 1
        attempt = 1
        recovering = False
    return Success(ex.context)


async def _log_success(ex: Execution, index: int, attempt: int) -> Result[Any, SagaError] | None:
    """Log step ``index`` done and the next started (one write); a Result ends the run."""
    events = [ex.event(EventKind.STEP_SUCCEEDED, index, attempt)]
    last = index + 1 == len(ex.steps)
    if last:
        events.append(ex.event(EventKind.SAGA_COMPLETED))
    else:
        events.append(ex.event(EventKind.STEP_STARTED, index + 1, 1))
    status = SagaStatus.COMPLETED if last else None
    try:
        await ex.write(events, status=status, context=ex.context)
    except ContextNotSerializable as exc:
        # The step ran, but its context can't be logged: undo it with the rest.
        return await _fail(ex, index, attempt, exc, succeeded=True)
    except Exception as exc:
        return ex.abandoned(ex.steps[index].name, exc)
    return None


async def _fail(
    ex: Execution, index: int, attempt: int, error: object, *, succeeded: bool = False
) -> Result[Any, SagaError]:
    name = ex.steps[index].name
    ex.failed_step = name
    events = []
    if succeeded:
        events.append(ex.event(EventKind.STEP_SUCCEEDED, index, attempt))
    events.append(ex.event(EventKind.STEP_FAILED, index, attempt, describe(error)))
    try:
        await ex.write(events, status=SagaStatus.COMPENSATING, error=describe(error))
        return await ex.compensate(error)
    except Exception as exc:
        return ex.abandoned(name, exc)


async def _recorded_outcome(ex: Execution, exists: ExecutionExists) -> Result[Any, SagaError]:
    """A repeated ``execute`` with a logged id: the first execution's outcome, not a rerun."""
    try:
        record = await ex.store.load(ex.id)
    except SagaLogError as exc:
        return Failure(SagaError(ex.name, ex.id, None, exc, SagaStatus.RUNNING))
    if record is None or record.saga_name != ex.name:
        other = "" if record is None else f" by saga {record.saga_name!r}"
        cause = ExecutionExists(f"execution id {ex.id!r} is already used{other}")
        return Failure(SagaError(ex.name, ex.id, None, cause, SagaStatus.FAILED))
    if record.status is SagaStatus.COMPLETED:
        return Success(record.context)
    if not record.status.is_final:
        cause = ExecutionExists(f"saga execution {ex.id!r} is still {record.status.value}")
        return Failure(SagaError(ex.name, ex.id, None, cause, record.status))
    return Failure(error_from_record(ex.name, ex.steps, record))


def error_from_record(name: str, steps: Sequence[SagaStep], record: ExecutionRecord) -> SagaError:
    """Rebuild a finished execution's SagaError from its log (causes come back as text)."""
    state = ExecutionState.replay(record.events)
    cause = state.failure if state.failed else record.error
    compensated = tuple(
        steps[i].name
        for i in reversed(state.completed)
        if i in state.compensated or (i < len(steps) and steps[i].compensate is None)
    )
    failures = tuple(
        CompensationFailure(steps[i].name, detail, attempts)
        for i, (detail, attempts) in state.compensation_errors.items()
        if i not in state.compensated and i < len(steps)
    )
    return SagaError(
        name, record.id, state.failed_step, cause, record.status, compensated, failures
    )
