"""The saga engine: one execution, logging each transition before acting on it.

Both forms of saga run on it: declared sagas (``Saga.add_step``) and sagas written as code
(``tx.step``), in memory and durable. It holds the three pieces they share: the log writes
(retried, renewed by a heartbeat), the attempt loop of a step or a compensation, and the
compensator that undoes the completed steps in reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from rfs._backoff import retry_delay
from rfs.monitoring import hook
from rfs.monitoring.context import current_correlation_id
from rfs.result import Failure, Result
from rfs.saga.errors import (
    CompensationFailure,
    ContextNotSerializable,
    OwnershipLost,
    SagaError,
    SagaLogError,
)
from rfs.saga.owner import process_owner
from rfs.saga.records import CORRELATION_PREFIX, EventKind, LogEvent, SagaStatus
from rfs.saga.state import ExecutionState
from rfs.saga.step import SagaStep, StepContext
from rfs.saga.store import UNSET, SagaStore

_MAX_BACKOFF = 30.0
_WRITE_ATTEMPTS = 3


def backoff(base: float, attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): ``base`` doubling, capped, jittered."""
    return retry_delay(attempt, base, _MAX_BACKOFF)


def describe(error: object) -> str:
    """An error as the log writes it: ``Type: message`` for exceptions."""
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return str(error)


class Execution:
    """One execution of a saga named ``name`` against ``store``.

    ``steps`` are the steps known so far (a declared saga's list; a code-form saga appends
    as its function calls them). With ``values`` (the code form), an action receives its
    :class:`~rfs.saga.StepContext` and a compensation the action's value; without, both
    receive the execution's context.
    """

    def __init__(
        self,
        name: str,
        lease: float,
        store: SagaStore,
        execution_id: str,
        context: Any,
        steps: list[SagaStep],
        *,
        values: dict[int, Any] | None = None,
    ) -> None:
        self.name = name
        self.lease = lease
        self.store = store
        self.id = execution_id
        self.context = context
        self.steps = steps
        self.values = values
        self.owner = process_owner()
        self.status = SagaStatus.RUNNING
        self.completed: list[int] = []
        self.compensated: set[int] = set()
        self.compensation_attempts: dict[int, int] = {}
        self.failed_step: str | None = None

    def restore(self, state: ExecutionState) -> None:
        """Take over what the log says was done and undone."""
        self.completed = list(state.completed)
        self.compensated = set(state.compensated)
        self.compensation_attempts = dict(state.compensation_attempts)

    # -- log writes -------------------------------------------------------------------------

    def lease_until(self) -> float:
        return time.time() + self.lease

    def event(
        self,
        kind: EventKind,
        index: int | None = None,
        attempt: int = 0,
        detail: str | None = None,
    ) -> LogEvent:
        step = None if index is None else self.steps[index].name
        if kind is EventKind.SAGA_STARTED and detail is None:
            cid = current_correlation_id()  # kept so that recovery runs under it again
            detail = None if cid is None else CORRELATION_PREFIX + cid
        return LogEvent(kind, step, index, attempt, detail, time.time())

    async def write(
        self,
        events: Sequence[LogEvent],
        *,
        status: SagaStatus | None = None,
        context: Any = UNSET,
        error: str | None = None,
    ) -> None:
        """Append ``events`` (one transaction); a dropped connection is retried twice."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                await self.store.append(
                    self.id,
                    self.owner,
                    events,
                    lease_until=self.lease_until(),
                    status=status,
                    context=context,
                    error=error,
                )
                break
            except (OwnershipLost, ContextNotSerializable):
                raise
            except SagaLogError:
                if attempt + 1 == _WRITE_ATTEMPTS:
                    raise
                await asyncio.sleep(backoff(0.05, attempt + 1))
        if status is not None:
            self.status = status

    def abandoned(self, step: str | None, exc: BaseException) -> Failure[SagaError]:
        """The log failed: stop acting; the execution stays in the log for ``recover()``."""
        cause = SagaLogError(f"saga log unavailable, execution left for recover(): {exc}")
        cause.__cause__ = exc
        return Failure(
            SagaError(self.name, self.id, step, cause, self.status, self.compensated_names())
        )

    def compensated_names(self) -> tuple[str, ...]:
        order = [i for i in reversed(self.completed) if i in self.compensated]
        return tuple(self.steps[i].name for i in order)

    def heartbeat(self) -> _Heartbeat:
        """``async with``: renew the lease every third of it meanwhile (durable logs only)."""
        return _Heartbeat(self)

    async def _beat(self) -> None:
        interval = self.lease / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self.write([])
            except SagaLogError:
                return
            except Exception:  # nosec B112 # transient database error: the next heartbeat retries
                continue

    # -- the attempt loop -------------------------------------------------------------------

    def step_context(
        self, index: int, attempt: int, compensating: bool = False, recovering: bool = False
    ) -> StepContext:
        name = self.steps[index].name
        key = f"{self.id}:{name}:compensate" if compensating else f"{self.id}:{name}"
        return StepContext(self.name, self.id, name, index, attempt, key, compensating, recovering)

    async def attempts(
        self,
        index: int,
        first: int,
        *,
        compensating: bool = False,
        recovering: bool = False,
        logged: bool = False,
    ) -> tuple[Result[Any, object], int]:
        """Run step ``index``'s action (or compensation) until it succeeds or its retries end.

        Each attempt is logged as started before it runs (the first is not when ``logged``
        says the caller already did); a failed compensation attempt, and a failed step attempt
        that will be retried, is logged with its error (the last step failure is the caller's).
        Returns the last Result and its attempt number.
        """
        step = self.steps[index]
        if compensating:
            callee, retries, limit = (
                step.compensation_callee,
                step.compensation_retries,
                step.compensation_timeout,
            )
            started = EventKind.COMPENSATION_STARTED
        else:
            callee, retries, limit = step.action_callee, step.retries, step.timeout
            started = EventKind.STEP_STARTED
        assert callee is not None, "a step without compensation has nothing to attempt"
        attempt = first
        n = 1
        while True:
            if n > 1 or not logged:
                await self.write([self.event(started, index, attempt)])
            ctx = self.step_context(index, attempt, compensating, recovering and n == 1)
            if self.values is None:
                arg = self.context
            else:
                arg = self.values.get(index) if compensating else ctx
            t0 = time.perf_counter()
            result = await callee.call(arg, ctx, limit)
            if (mon := hook.monitor) is not None:  # saga.<saga>.<step>[.compensate]
                op = f"saga.{self.name}.{step.name}" + (".compensate" if compensating else "")
                err = result.error if isinstance(result, Failure) else None
                mon.observe(op, err is None, (time.perf_counter() - t0) * 1000.0, err, "saga")
            if not isinstance(result, Failure):
                return result, attempt
            if compensating:
                text = describe(result.error)
                await self.write([self.event(EventKind.COMPENSATION_FAILED, index, attempt, text)])
            if n > retries:
                return result, attempt
            if not compensating:
                text = describe(result.error)
                await self.write([self.event(EventKind.STEP_ATTEMPT_FAILED, index, attempt, text)])
            await asyncio.sleep(backoff(step.retry_backoff, n))
            attempt += 1
            n += 1

    # -- the compensator --------------------------------------------------------------------

    async def compensate(self, cause: object) -> Failure[SagaError]:
        """Undo the completed steps in reverse, skipping those the log says are undone."""
        failures: list[CompensationFailure] = []
        for index in reversed(self.completed):
            if index in self.compensated:
                continue
            step = self.steps[index]
            if step.compensation_callee is None:
                self.compensated.add(index)
                continue
            first = self.compensation_attempts.get(index, 0) + 1
            result, attempt = await self.attempts(
                index, first, compensating=True, recovering=first > 1
            )
            if isinstance(result, Failure):
                failures.append(CompensationFailure(step.name, result.error, attempt - first + 1))
                continue
            await self.write([self.event(EventKind.COMPENSATION_SUCCEEDED, index, attempt)])
            self.compensated.add(index)
        status = SagaStatus.FAILED if failures else SagaStatus.COMPENSATED
        kind = EventKind.SAGA_FAILED if failures else EventKind.SAGA_COMPENSATED
        detail = "; ".join(str(f) for f in failures) or None
        await self.write([self.event(kind, detail=detail)], status=status, error=detail)
        return Failure(
            SagaError(
                self.name,
                self.id,
                self.failed_step,
                cause,
                status,
                self.compensated_names(),
                tuple(failures),
            )
        )


class _Heartbeat:
    """Renews an execution's lease while a block runs (a task writing every third of it)."""

    __slots__ = ("_execution", "_task")

    def __init__(self, execution: Execution) -> None:
        self._execution = execution
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> None:
        if self._execution.store.durable:
            self._task = asyncio.get_running_loop().create_task(self._execution._beat())

    async def __aexit__(self, *exc: object) -> None:
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
