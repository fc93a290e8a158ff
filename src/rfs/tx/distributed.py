"""``@DistributedTransaction``: a function that declares saga steps, run with compensation.

The decorated function is called once, at decoration, with a :class:`~rfs.saga.Saga` to
declare its steps on; the result is awaitable like the saga itself::

    @DistributedTransaction(name="book_trip")
    def book_trip(tx: Saga) -> None:
        tx.add_step("flight", book_flight, compensate=cancel_flight)
        tx.add_step("hotel", book_hotel, compensate=cancel_hotel, retries=2)

    result = await book_trip({"trip": 42})   # Success(context) or Failure(SagaError)

Steps are logged to the saga log (durable with :class:`~rfs.saga.SagaLog`) and the saga is
registered by name, so ``SagaLog.recover()`` in any process that imports the module finishes
an execution a crash interrupted.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, overload

from rfs.result import Result
from rfs.saga.errors import SagaDefinitionError, SagaError
from rfs.saga.registry import SagaRegistry
from rfs.saga.saga import Saga
from rfs.saga.step import StepFunction
from rfs.saga.store import SagaStore

Declaration = Callable[[Saga], object]


class DistributedSaga:
    """What ``@DistributedTransaction`` returns: call it (``await tx(context)``) to run."""

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
def DistributedTransaction(fn: Declaration, /) -> DistributedSaga: ...
@overload
def DistributedTransaction(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    log: SagaStore | None = None,
    registry: SagaRegistry | None = None,
    compensation_retries: int = 3,
    retry_backoff: float = 0.05,
    lease: float = 30.0,
) -> Callable[[Declaration], DistributedSaga]: ...
def DistributedTransaction(
    fn: Declaration | None = None,
    /,
    *,
    name: str | None = None,
    log: SagaStore | None = None,
    registry: SagaRegistry | None = None,
    compensation_retries: int = 3,
    retry_backoff: float = 0.05,
    lease: float = 30.0,
) -> DistributedSaga | Callable[[Declaration], DistributedSaga]:
    """Declare a distributed transaction: saga steps, compensated in reverse on failure.

    Bare (``@DistributedTransaction``) the saga is named ``module.qualname``; ``name`` sets
    the name under which the log and recovery know it (keep it stable across deploys).
    ``log``, ``compensation_retries``, ``retry_backoff`` and ``lease`` are the
    :class:`~rfs.saga.Saga` options.
    """

    def decorate(declaration: Declaration) -> DistributedSaga:
        if inspect.iscoroutinefunction(declaration):
            raise SagaDefinitionError(
                f"@DistributedTransaction on {declaration.__qualname__}: the function declares"
                " steps once, at import; make it a plain `def` taking the saga"
                " (`def f(tx): tx.add_step(...)`)"
            )
        saga_name = name or f"{declaration.__module__}.{declaration.__qualname__}"
        saga = Saga(
            saga_name,
            log=log,
            registry=registry,
            compensation_retries=compensation_retries,
            retry_backoff=retry_backoff,
            lease=lease,
        )
        declaration(saga)
        return DistributedSaga(saga, declaration)

    if fn is not None:
        return decorate(fn)
    return decorate


distributed_transaction = DistributedTransaction
