"""Sagas written as code: an async function runs its steps through ``tx.step``.

``tx.step(name, action, compensate)`` runs an action now and remembers its compensation;
when the function fails (returns a Failure, raises, or times out) the completed steps are
undone in reverse. On a durable log each step is logged before its action runs and its JSON
value after; recovery runs the function again with its logged arguments, and steps already
logged return their logged outcome instead of running. The function must call its steps in
the same order each time. The engine is the declared sagas' one (:mod:`rfs.saga.engine`).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Unpack

from rfs.monitoring.context import correlation_scope
from rfs.result import Failure, Result, Success
from rfs.saga.definition import SagaDefinition, SagaOptions
from rfs.saga.engine import Execution, describe
from rfs.saga.errors import SagaDefinitionError, SagaError, SagaLogError, UnreadableRecord
from rfs.saga.records import EventKind, ExecutionRecord, SagaStatus
from rfs.saga.state import ExecutionState, LoggedStep, StepState
from rfs.saga.step import SagaStep, StepFunction
from rfs.saga.store import UNLOGGED, SagaStore

Body = Callable[..., Awaitable[Any]]

_scope: contextvars.ContextVar[TransactionScope | None] = contextvars.ContextVar(
    "rfs_distributed_transaction", default=None
)


def current_transaction() -> TransactionScope:
    """The running code-form saga's ``tx``; a programmer error outside one."""
    scope = _scope.get()
    if scope is None:
        raise SagaDefinitionError(
            "current_transaction() called outside a @DistributedTransaction async function"
        )
    return scope


class _Stop(BaseException):
    """Ends a replay that reached a step the failed run never started (not catchable as an
    Exception by the function being replayed)."""


class TransactionScope:
    """``tx`` of one execution of a code-form saga: runs steps, replays them from the log."""

    def __init__(
        self,
        saga: CodeSaga,
        execution: Execution,
        logged: dict[int, LoggedStep],
        *,
        replay_only: bool = False,
    ) -> None:
        self._saga = saga
        self._execution = execution
        self._logged = logged
        self._replay_only = replay_only
        self._names: set[str] = set()

    @property
    def name(self) -> str:
        return self._saga.name

    @property
    def execution_id(self) -> str:
        return self._execution.id

    @property
    def failed_step(self) -> str | None:
        """The last step whose action failed (``None`` while none has)."""
        return self._execution.failed_step

    def _unique(self, name: str) -> str:
        unique, n = name, 1
        while unique in self._names:
            n += 1
            unique = f"{name}#{n}"
        self._names.add(unique)
        return unique

    async def step(
        self,
        name: str,
        action: StepFunction,
        compensate: StepFunction | None = None,
        *,
        retries: int = 0,
        timeout: float | None = None,  # noqa: ASYNC109 - per-attempt limit, like add_step's
    ) -> Result[Any, object]:
        """Run ``action()`` (or ``action(step)``) now; on success remember ``compensate``.

        ``compensate(value)`` (or ``compensate(value, step)``, or ``compensate()``) receives
        the action's value when the transaction is undone. Returns the action's Result.
        """
        ex, saga = self._execution, self._saga
        index = len(ex.steps)
        unique = self._unique(name)
        ex.steps.append(
            SagaStep(
                unique,
                action,
                compensate,
                retries=retries,
                timeout=timeout,
                retry_backoff=saga.retry_backoff,
                compensation_retries=saga.compensation_retries,
                compensation_timeout=saga.compensation_timeout,
            )
        )
        seen = self._logged.get(index)
        if seen is not None:
            replayed = self._replay(index, unique, seen)
            if replayed is not None:
                return replayed
        if self._replay_only:
            raise _Stop
        first = 1 if seen is None else seen.attempt + 1
        result, attempt = await ex.attempts(index, first, recovering=seen is not None)
        if isinstance(result, Failure):
            ex.failed_step = unique
            text = describe(result.error)
            await ex.write([ex.event(EventKind.STEP_FAILED, index, attempt, text)])
            return result
        self._completed(index, result.unwrap())
        value = None if ex.store is UNLOGGED else _encode(result.unwrap())
        await ex.write([ex.event(EventKind.STEP_SUCCEEDED, index, attempt, value)])
        return result

    def _completed(self, index: int, value: Any) -> None:
        ex = self._execution
        ex.completed.append(index)
        if ex.values is not None:
            ex.values[index] = value

    def _replay(self, index: int, unique: str, seen: LoggedStep) -> Result[Any, object] | None:
        """A step the log has: its logged outcome, or ``None`` if it must run (again)."""
        ex = self._execution
        if seen.name != unique:
            raise SagaDefinitionError(
                f"{self.name}: step {index} is {unique!r} now but {seen.name!r} in the log;"
                " a durable transaction must call its steps in the same order every run"
            )
        if seen.state is StepState.SUCCEEDED:
            value = _decode(ex.id, seen.detail)
            self._completed(index, value)
            return Success(value)
        if seen.state is StepState.FAILED:
            ex.failed_step = unique
            return Failure(seen.detail)
        return None


def _encode(value: Any) -> str | None:
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return None  # replays as None: keep step values JSON data


def _decode(execution_id: str, detail: str | None) -> Any:
    if detail is None:
        return None
    try:
        return json.loads(detail)
    except (ValueError, RecursionError) as exc:
        raise UnreadableRecord.of(execution_id, f"a logged step value is not JSON ({exc})") from exc


class CodeSaga(SagaDefinition):
    """A saga whose steps are the ``tx.step`` calls of an async function (see module doc).

    ``await saga(*args, **kwargs)`` runs one execution: ``Success`` of the function's value,
    or ``Failure(SagaError)`` after undoing its completed steps. The function receives ``tx``
    as a keyword argument when it has a ``tx`` parameter (else :func:`current_transaction`).
    ``timeout`` limits the whole function; on a durable ``log`` its arguments and step
    values must be JSON data.
    """

    def __init__(
        self,
        name: str,
        body: Body,
        *,
        timeout: float | None = None,
        **options: Unpack[SagaOptions],
    ) -> None:
        super().__init__(name, **options)
        self.body = body
        self.timeout = timeout
        self.pass_scope = "tx" in inspect.signature(body).parameters

    def __repr__(self) -> str:
        return f"CodeSaga({self.name!r})"

    def matches_record(self, record: ExecutionRecord) -> bool:
        return True  # steps are checked one by one as the function replays

    def _execution(self, store: SagaStore, execution_id: str, context: Any) -> Execution:
        return Execution(self.name, self.lease, store, execution_id, context, [], values={})

    async def __call__(self, *args: Any, **kwargs: Any) -> Result[Any, SagaError]:
        return await self.run(args, kwargs)

    async def run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Result[Any, SagaError]:
        """Log a new execution with its arguments, then run the function."""
        context = {"args": list(args), "kwargs": kwargs}
        with correlation_scope():  # the caller's id, or a new one logged with the execution
            return await self._start(context)

    async def _start(self, context: dict[str, Any]) -> Result[Any, SagaError]:
        ex = self._execution(self._store(None), uuid.uuid4().hex, context)
        try:
            await ex.store.start(
                ex.id,
                self.name,
                context,
                ex.owner,
                ex.lease_until(),
                [ex.event(EventKind.SAGA_STARTED)],
            )
        except SagaLogError as exc:
            return Failure(SagaError(self.name, ex.id, None, exc, SagaStatus.COMPENSATED))
        return await self._drive(ex, ExecutionState())

    async def resume_execution(
        self, store: SagaStore, record: ExecutionRecord
    ) -> Result[Any, SagaError]:
        context = record.context
        if not (
            isinstance(context, dict)
            and isinstance(context.get("args", []), list)
            and isinstance(context.get("kwargs", {}), dict)
        ):
            raise UnreadableRecord.of(
                record.id, "its context is not {'args': [...], 'kwargs': {...}}"
            )
        ex = self._execution(store, record.id, context)
        ex.status = record.status
        state = ExecutionState.replay(record.events)
        await ex.write([ex.event(EventKind.RECOVERED, detail=ex.owner)])
        return await self._drive(ex, state)

    async def _drive(self, ex: Execution, state: ExecutionState) -> Result[Any, SagaError]:
        """Run (or replay) the function, then complete or compensate."""
        compensating = ex.status is SagaStatus.COMPENSATING
        cause: object = state.failure or "interrupted"
        ex.compensated = set(state.compensated)
        ex.compensation_attempts = dict(state.compensation_attempts)
        scope = TransactionScope(self, ex, state.steps, replay_only=compensating)
        async with ex.heartbeat():
            try:
                value = await self._call_body(ex, scope)
                if compensating:
                    value = Failure(cause)
                if isinstance(value, Success):
                    await ex.write(
                        [ex.event(EventKind.SAGA_COMPLETED)], status=SagaStatus.COMPLETED
                    )
                    return value
                if isinstance(value, Failure):
                    cause = value.error
                if not compensating:
                    await ex.write([], status=SagaStatus.COMPENSATING, error=describe(cause))
                return await ex.compensate(cause)
            except UnreadableRecord:
                raise
            except SagaLogError as exc:
                return ex.abandoned(ex.failed_step, exc)

    async def _call_body(self, ex: Execution, scope: TransactionScope) -> Result[Any, object]:
        args = ex.context.get("args", [])
        kwargs = dict(ex.context.get("kwargs", {}))
        if self.pass_scope:
            kwargs["tx"] = scope
        token = _scope.set(scope)
        try:
            async with asyncio.timeout(self.timeout):
                value = await self.body(*args, **kwargs)
        except _Stop:
            return Failure("replayed up to the failure")
        except TimeoutError:
            return Failure(TimeoutError(f"{self.name} timed out after {self.timeout}s"))
        except SagaLogError:
            raise
        except Exception as exc:  # the function's exception is its failure
            return Failure(exc)
        finally:
            _scope.reset(token)
        return value if isinstance(value, Success | Failure) else Success(value)
