"""Sagas written as code: an async function runs steps one by one, each with its undo.

``TransactionScope.step`` runs an action now and remembers its compensation; when the
function fails (returns a Failure, raises, or times out) the completed steps are undone
in reverse order, each compensation retried with backoff and reported if it still fails.
This form lives in one process: for crash recovery, declare the steps on a ``Saga``.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rfs.result import Failure, Result, Success
from rfs.saga.errors import CompensationFailure, SagaDefinitionError, SagaError
from rfs.saga.execution import _backoff
from rfs.saga.records import SagaStatus
from rfs.saga.step import Callee, StepContext, StepFunction

_scope: contextvars.ContextVar[TransactionScope | None] = contextvars.ContextVar(
    "rfs_distributed_transaction", default=None
)


def current_transaction() -> TransactionScope:
    """The running distributed transaction; a programmer error outside one."""
    scope = _scope.get()
    if scope is None:
        raise SagaDefinitionError(
            "current_transaction() called outside a @DistributedTransaction async function"
        )
    return scope


@dataclass(slots=True)
class _Done:
    name: str
    index: int
    value: Any
    compensate: Callee | None
    timeout: float | None


class TransactionScope:
    """One run of a workflow: its id, its completed steps and their compensations."""

    def __init__(
        self,
        name: str,
        execution_id: str,
        *,
        compensation_retries: int,
        retry_backoff: float,
        compensation_timeout: float | None,
    ) -> None:
        self.name = name
        self.execution_id = execution_id
        self._retries = compensation_retries
        self._backoff = retry_backoff
        self._compensation_timeout = compensation_timeout
        self._done: list[_Done] = []
        self._names: set[str] = set()
        self.failed_step: str | None = None

    def _key(self, name: str) -> str:
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
        unique = self._key(name)
        index = len(self._names) - 1
        callee = Callee.of(action)
        result: Result[Any, object] = Failure("not run")
        for attempt in range(1, retries + 2):
            ctx = StepContext(
                self.name,
                self.execution_id,
                unique,
                index,
                attempt,
                f"{self.execution_id}:{unique}",
            )
            result = await callee.call(ctx, ctx, timeout)
            if result.is_success() or attempt > retries:
                break
            await asyncio.sleep(_backoff(self._backoff, attempt))
        if isinstance(result, Success):
            comp = None if compensate is None else Callee.of(compensate)
            self._done.append(_Done(unique, index, result.value, comp, self._compensation_timeout))
        else:
            self.failed_step = unique
        return result

    async def _undo(self, cause: object) -> Failure[SagaError]:
        compensated: list[str] = []
        failures: list[CompensationFailure] = []
        for done in reversed(self._done):
            if done.compensate is None:
                compensated.append(done.name)
                continue
            last: object = None
            for attempt in range(1, self._retries + 2):
                ctx = StepContext(
                    self.name,
                    self.execution_id,
                    done.name,
                    done.index,
                    attempt,
                    f"{self.execution_id}:{done.name}:compensate",
                    compensating=True,
                )
                outcome = await done.compensate.call(done.value, ctx, done.timeout)
                if not isinstance(outcome, Failure):
                    compensated.append(done.name)
                    break
                last = outcome.error
                if attempt <= self._retries:
                    await asyncio.sleep(_backoff(self._backoff, attempt))
            else:
                failures.append(CompensationFailure(done.name, last, self._retries + 1))
        status = SagaStatus.FAILED if failures else SagaStatus.COMPENSATED
        return Failure(
            SagaError(
                self.name,
                self.execution_id,
                self.failed_step,
                cause,
                status,
                tuple(compensated),
                tuple(failures),
            )
        )


async def run_workflow(
    name: str,
    body: Callable[..., Awaitable[Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    limit: float | None,
    compensation_retries: int,
    retry_backoff: float,
    compensation_timeout: float | None,
    pass_scope: bool,
) -> Result[Any, SagaError]:
    """Run ``body`` in a new scope; undo its steps if it fails."""
    scope = TransactionScope(
        name,
        uuid.uuid4().hex,
        compensation_retries=compensation_retries,
        retry_backoff=retry_backoff,
        compensation_timeout=compensation_timeout,
    )
    if pass_scope:
        kwargs = {**kwargs, "tx": scope}
    token = _scope.set(scope)
    try:
        async with asyncio.timeout(limit):
            value = await body(*args, **kwargs)
    except TimeoutError:
        return await scope._undo(TimeoutError(f"{name} timed out after {limit}s"))
    except Exception as exc:  # the workflow's exception is its failure
        return await scope._undo(exc)
    finally:
        _scope.reset(token)
    if isinstance(value, Failure):
        return await scope._undo(value.error)
    if isinstance(value, Success):
        return value
    return Success(value)
