"""``@DistributedTransaction``: saga steps with compensation on failure, in two forms.

Declared (durable, recoverable): a plain ``def`` is called once, at decoration, with a
:class:`~rfs.saga.Saga` to declare its steps on; the result runs like the saga::

    @DistributedTransaction(name="book_trip")
    def book_trip(tx: Saga) -> None:
        tx.add_step("flight", book_flight, compensate=cancel_flight)
        tx.add_step("hotel", book_hotel, compensate=cancel_hotel, retries=2)

    result = await book_trip({"trip": 42})   # Success(context) or Failure(SagaError)

Written as code (RFS v4's form, an :class:`rfs.saga.CodeSaga`): an ``async def`` runs its
steps through ``tx.step`` (a ``tx`` parameter, or :func:`current_transaction`); when it
fails, returns a Failure or times out, the completed steps are compensated in reverse. With
a durable ``log=`` each step is logged and a crashed execution is replayed by
``SagaLog.recover()`` (arguments and step values must be JSON data, and the steps called in
the same order); without, it lives in one process::

    @DistributedTransaction(saga_id="user_registration", timeout=600)
    async def register(user: dict, tx: TransactionScope) -> Result[dict, str]:
        account = await tx.step("account", create_account, compensate=delete_account)
        ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, overload

from rfs.result import Result
from rfs.saga.code import CodeSaga, TransactionScope, current_transaction
from rfs.saga.errors import SagaError
from rfs.saga.registry import SagaRegistry
from rfs.saga.saga import Saga
from rfs.saga.step import StepFunction
from rfs.saga.store import UNLOGGED, SagaStore

__all__ = [
    "DistributedCall",
    "DistributedSaga",
    "DistributedTransaction",
    "TransactionScope",
    "current_transaction",
    "distributed_transaction",
]

Declaration = Callable[[Saga], object]
Decorated = Callable[..., Any]


class DistributedCall(Protocol):
    """What ``@DistributedTransaction`` gives back, for type checkers: awaiting a call runs one
    execution to ``Result[value, SagaError]``; ``.saga`` is the saga behind it."""

    @property
    def saga(self) -> Saga | CodeSaga: ...

    def __call__(
        self, *args: Any, **kwargs: Any
    ) -> Coroutine[Any, Any, Result[Any, SagaError]]: ...


class DistributedSaga:
    """A declared distributed transaction: ``await tx(context)`` runs one execution."""

    def __init__(self, saga: Saga, declaration: Declaration) -> None:
        self.saga = saga
        self.__wrapped__ = declaration
        self.__doc__ = declaration.__doc__
        self.__name__ = getattr(declaration, "__name__", saga.name)

    @property
    def name(self) -> str:
        return self.saga.name

    def __repr__(self) -> str:
        return f"<DistributedTransaction {self.saga.name!r} steps={len(self.saga.steps)}>"

    async def __call__(
        self,
        context: Any = None,
        *,
        execution_id: str | None = None,
        log: SagaStore | None = None,
    ) -> Result[Any, SagaError]:
        """Run one execution of the declared steps (see :meth:`rfs.saga.Saga.execute`)."""
        return await self.saga.execute(context, execution_id=execution_id, log=log)

    def step(
        self,
        name: str | None = None,
        *,
        compensate: StepFunction | None = None,
        retries: int = 0,
        timeout: float | None = None,
    ) -> Callable[[StepFunction], StepFunction]:
        """Add a step after declaration, as a decorator (see :meth:`rfs.saga.Saga.step`)."""
        return self.saga.step(name, compensate=compensate, retries=retries, timeout=timeout)


@overload
def DistributedTransaction(fn: Decorated, /) -> DistributedCall: ...
@overload
def DistributedTransaction(
    saga_name: str | None = None,
    /,
    *,
    name: str | None = None,
    saga_id: str | None = None,
    log: SagaStore | None = None,
    registry: SagaRegistry | None = None,
    timeout: float | None = None,
    retry_count: int = 3,
    compensation_timeout: float | None = None,
    idempotent: bool = True,
    retry_backoff: float = 0.05,
    lease: float = 30.0,
) -> Callable[[Decorated], DistributedCall]: ...
def DistributedTransaction(
    fn: Decorated | str | None = None,
    /,
    *,
    name: str | None = None,
    saga_id: str | None = None,
    log: SagaStore | None = None,
    registry: SagaRegistry | None = None,
    timeout: float | None = None,
    retry_count: int = 3,
    compensation_timeout: float | None = None,
    idempotent: bool = True,
    retry_backoff: float = 0.05,
    lease: float = 30.0,
) -> Any:
    """Declare a distributed transaction: saga steps, compensated in reverse on failure.

    ``name`` (or RFS v4's ``saga_id``, also positional) names the saga; bare, it is
    ``module.qualname``. ``retry_count`` is how many times a failing compensation is
    retried (with ``retry_backoff`` doubling), ``compensation_timeout`` limits each
    compensation attempt, ``timeout`` limits a whole ``async def`` transaction. ``log`` (a
    durable one makes an ``async def`` transaction recoverable too) and ``lease`` are the
    saga's. ``idempotent`` is accepted for v4 code: every
    step gets an idempotency key either way.
    """
    del idempotent  # every step receives an idempotency key
    label = fn if isinstance(fn, str) else (name or saga_id)

    def _code_form(saga_name: str, target: Callable[..., Awaitable[Any]]) -> Any:
        durable = log is not None and log.durable
        code = CodeSaga(
            saga_name,
            target,
            # without a durable log it lives in this process: nothing kept, not registered
            log=log if durable else UNLOGGED,
            registry=registry if durable else SagaRegistry(),
            timeout=timeout,
            compensation_retries=retry_count,
            retry_backoff=retry_backoff,
            compensation_timeout=compensation_timeout,
            lease=lease,
        )

        @functools.wraps(target)
        async def run(*args: Any, **kwargs: Any) -> Result[Any, SagaError]:
            return await code.run(args, kwargs)

        run.saga = code  # type: ignore[attr-defined]
        return run

    def decorate(target: Decorated) -> Any:
        saga_name = label or f"{target.__module__}.{target.__qualname__}"
        if inspect.iscoroutinefunction(target):
            return _code_form(saga_name, target)
        saga = Saga(
            saga_name,
            log=log,
            registry=registry,
            compensation_retries=retry_count,
            retry_backoff=retry_backoff,
            lease=lease,
            compensation_timeout=compensation_timeout,
        )
        target(saga)
        return DistributedSaga(saga, target)

    if fn is not None and not isinstance(fn, str):
        return decorate(fn)
    return decorate


distributed_transaction = DistributedTransaction
