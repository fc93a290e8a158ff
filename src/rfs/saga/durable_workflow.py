"""Durable sagas written as code: an async function replayed from the saga log after a crash.

Each ``tx.step`` is logged before its action runs and its JSON value after; recovery runs
the function again with its logged arguments, and steps already logged return their logged
outcome instead of running. The function must call its steps in the same order each time.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rfs.result import Failure, Result, Success
from rfs.saga.errors import CompensationFailure, SagaDefinitionError, SagaError, SagaLogError
from rfs.saga.execution import SagaExecution, _backoff, _describe
from rfs.saga.records import EventKind, ExecutionRecord, LogEvent, SagaStatus
from rfs.saga.registry import SagaRegistry
from rfs.saga.saga import Saga
from rfs.saga.step import Callee, StepContext, StepFunction
from rfs.saga.store import SagaStore
from rfs.saga.workflow import TransactionScope, _scope

Body = Callable[..., Awaitable[Any]]


class WorkflowSaga(Saga):
    """A saga whose steps are the ``tx.step`` calls of an async function (see module doc)."""

    def __init__(
        self,
        name: str,
        body: Body,
        *,
        log: SagaStore,
        registry: SagaRegistry | None = None,
        timeout: float | None = None,
        compensation_retries: int = 3,
        retry_backoff: float = 0.05,
        compensation_timeout: float | None = None,
        lease: float = 30.0,
        pass_scope: bool = False,
    ) -> None:
        super().__init__(
            name,
            log=log,
            registry=registry,
            compensation_retries=compensation_retries,
            retry_backoff=retry_backoff,
            lease=lease,
            compensation_timeout=compensation_timeout,
        )
        self.body = body
        self.timeout = timeout
        self.pass_scope = pass_scope

    def add_step(self, name: str, action: StepFunction, *args: Any, **kwargs: Any) -> Saga:
        raise SagaDefinitionError(
            f"{self.name!r} runs its steps as code: call tx.step(...) in the function instead"
        )

    def matches_record(self, record: ExecutionRecord) -> bool:
        return True  # steps are checked one by one as the function replays

    async def run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Result[Any, SagaError]:
        """Log a new execution with its arguments, then run the function."""
        execution = WorkflowExecution(self, self._store(None), uuid.uuid4().hex, {})
        context = {"args": list(args), "kwargs": kwargs}
        execution.context = context
        try:
            await execution.store.start(
                execution.id,
                self.name,
                context,
                execution.owner,
                execution._lease(),
                [execution._event(EventKind.SAGA_STARTED)],
            )
        except SagaLogError as exc:
            return Failure(SagaError(self.name, execution.id, None, exc, SagaStatus.COMPENSATED))
        return await execution.drive([])

    async def resume_execution(
        self, store: SagaStore, record: ExecutionRecord
    ) -> Result[Any, SagaError]:
        execution = WorkflowExecution(self, store, record.id, record.context)
        execution.status = record.status
        await execution._write([execution._event(EventKind.RECOVERED, detail=execution.owner)])
        return await execution.drive(record.events)


@dataclass(slots=True)
class _Logged:
    name: str | None
    state: str  # started | succeeded | failed
    attempt: int
    detail: str | None


class _Stop(BaseException):
    """Ends a replay that reached a step the failed run never started (not catchable as an
    Exception by the function being replayed)."""


class WorkflowExecution(SagaExecution):
    """One execution of a :class:`WorkflowSaga`: replays the log, then goes on."""

    saga: WorkflowSaga

    def __init__(self, saga: WorkflowSaga, store: SagaStore, execution_id: str, context: Any):
        super().__init__(saga, store, execution_id, context)
        self.names: dict[int, str] = {}
        self.values: dict[int, Any] = {}
        self.compensations: dict[int, Callee | None] = {}
        self.failed_step: str | None = None

    def _step_name(self, index: int) -> str:
        return self.names[index]

    async def drive(self, events: Sequence[LogEvent]) -> Result[Any, SagaError]:
        """Run (or replay) the function, then complete or compensate."""
        logged: dict[int, _Logged] = {}
        undone: set[int] = set()
        comp_attempts: dict[int, int] = {}
        cause: object = "interrupted"
        for e in events:
            i = e.index
            if e.kind is EventKind.STEP_FAILED and e.detail:
                cause = e.detail
            if i is None:
                continue
            if e.kind is EventKind.STEP_STARTED:
                logged[i] = _Logged(e.step, "started", e.attempt, None)
            elif e.kind is EventKind.STEP_SUCCEEDED:
                logged[i] = _Logged(e.step, "succeeded", e.attempt, e.detail)
            elif e.kind is EventKind.STEP_FAILED:
                logged[i] = _Logged(e.step, "failed", e.attempt, e.detail)
            elif e.kind is EventKind.COMPENSATION_STARTED:
                comp_attempts[i] = e.attempt
            elif e.kind is EventKind.COMPENSATION_SUCCEEDED:
                undone.add(i)
        compensating = self.status is SagaStatus.COMPENSATING
        scope = DurableScope(self, logged, replay_only=compensating)
        self._start_heartbeat()
        try:
            value = await self._call_body(scope)
            if compensating:
                value = Failure(cause)
            if isinstance(value, Success):
                await self._write(
                    [self._event(EventKind.SAGA_COMPLETED)], status=SagaStatus.COMPLETED
                )
                return value
            if isinstance(value, Failure):
                cause = value.error
            if not compensating:
                await self._write([], status=SagaStatus.COMPENSATING, error=_describe(cause))
            self.compensated = undone
            return await self._undo(cause, comp_attempts)
        except SagaLogError as exc:
            return self._abandoned(self.failed_step, exc)
        finally:
            await self._stop_heartbeat()

    async def _call_body(self, scope: DurableScope) -> Result[Any, object]:
        args = self.context.get("args", [])
        kwargs = dict(self.context.get("kwargs", {}))
        if self.saga.pass_scope:
            kwargs["tx"] = scope
        token = _scope.set(scope)
        try:
            async with asyncio.timeout(self.saga.timeout):
                value = await self.saga.body(*args, **kwargs)
        except _Stop:
            return Failure("replayed up to the failure")
        except TimeoutError:
            return Failure(TimeoutError(f"{self.saga.name} timed out after {self.saga.timeout}s"))
        except SagaLogError:
            raise
        except Exception as exc:  # the function's exception is its failure
            return Failure(exc)
        finally:
            _scope.reset(token)
        return value if isinstance(value, Success | Failure) else Success(value)

    async def _undo(self, cause: object, logged_attempts: dict[int, int]) -> Result[Any, SagaError]:
        failures: list[CompensationFailure] = []
        retries = self.saga.compensation_retries
        for index in reversed(self.completed):
            if index in self.compensated:
                continue
            callee = self.compensations.get(index)
            if callee is None:
                self.compensated.add(index)
                continue
            name = self.names[index]
            first = logged_attempts.get(index, 0) + 1
            last: object = None
            for n, attempt in enumerate(range(first, first + retries + 1), start=1):
                await self._write([self._event(EventKind.COMPENSATION_STARTED, index, attempt)])
                ctx = StepContext(
                    self.saga.name, self.id, name, index, attempt,
                    f"{self.id}:{name}:compensate", True, first > 1 and n == 1,
                )  # fmt: skip
                outcome = await callee.call(
                    self.values.get(index), ctx, self.saga.compensation_timeout
                )
                if not isinstance(outcome, Failure):
                    await self._write(
                        [self._event(EventKind.COMPENSATION_SUCCEEDED, index, attempt)]
                    )
                    self.compensated.add(index)
                    break
                last = outcome.error
                text = _describe(last)
                await self._write(
                    [self._event(EventKind.COMPENSATION_FAILED, index, attempt, text)]
                )
                if n <= retries:
                    await asyncio.sleep(_backoff(self.saga.retry_backoff, n))
            else:
                failures.append(CompensationFailure(name, last, retries + 1))
        return await self._compensation_done(self.failed_step, cause, failures)


def _encode(value: Any) -> str | None:
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError):
        return None  # replays as None: keep step values JSON data


class DurableScope(TransactionScope):
    """``tx`` of a durable workflow: steps logged before they run, replayed from the log."""

    def __init__(
        self, execution: WorkflowExecution, logged: dict[int, _Logged], *, replay_only: bool
    ) -> None:
        saga = execution.saga
        super().__init__(
            saga.name,
            execution.id,
            compensation_retries=saga.compensation_retries,
            retry_backoff=saga.retry_backoff,
            compensation_timeout=saga.compensation_timeout,
        )
        self._execution = execution
        self._logged = logged
        self._replay_only = replay_only
        self._next = 0

    async def step(
        self,
        name: str,
        action: StepFunction,
        compensate: StepFunction | None = None,
        *,
        retries: int = 0,
        timeout: float | None = None,  # noqa: ASYNC109 - per-attempt limit, like add_step's
    ) -> Result[Any, object]:
        ex = self._execution
        index, self._next = self._next, self._next + 1
        unique = self._key(name)
        ex.names[index] = unique
        ex.compensations[index] = None if compensate is None else Callee.of(compensate)
        seen = self._logged.get(index)
        if seen is not None and seen.name != unique:
            raise SagaDefinitionError(
                f"{ex.saga.name}: step {index} is {unique!r} now but {seen.name!r} in the log;"
                " a durable transaction must call its steps in the same order every run"
            )
        if seen is not None and seen.state == "succeeded":
            value = None if seen.detail is None else json.loads(seen.detail)
            ex.completed.append(index)
            ex.values[index] = value
            return Success(value)
        if seen is not None and seen.state == "failed":
            ex.failed_step = self.failed_step = unique
            return Failure(seen.detail)
        if self._replay_only:
            raise _Stop
        recovering = seen is not None
        attempt = seen.attempt + 1 if seen is not None else 1
        callee = Callee.of(action)
        result: Result[Any, object] = Failure("not run")
        for n in range(1, retries + 2):
            await ex._write([ex._event(EventKind.STEP_STARTED, index, attempt)])
            ctx = StepContext(
                ex.saga.name, ex.id, unique, index, attempt, f"{ex.id}:{unique}",
                False, recovering and n == 1,
            )  # fmt: skip
            result = await callee.call(ctx, ctx, timeout)
            if result.is_success() or n > retries:
                break
            await asyncio.sleep(_backoff(ex.saga.retry_backoff, n))
            attempt += 1
        if isinstance(result, Success):
            ex.completed.append(index)
            ex.values[index] = result.value
            await ex._write(
                [ex._event(EventKind.STEP_SUCCEEDED, index, attempt, _encode(result.value))]
            )
        else:
            ex.failed_step = self.failed_step = unique
            await ex._write(
                [ex._event(EventKind.STEP_FAILED, index, attempt, _describe(result.error))]
            )
        return result
