"""``@DistributedTransaction``: steps declared by a function, run as a compensating saga."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rfs.result import Failure, Success
from rfs.saga import Saga, SagaDefinitionError, SagaLog, SagaRegistry, SagaStatus
from rfs.tx import DistributedTransaction, distributed_transaction


async def test_declared_steps_run_and_compensate() -> None:
    """The function's steps run in order; a failure undoes the completed ones in reverse."""
    done: list[str] = []
    registry = SagaRegistry()

    @DistributedTransaction(name="trip", registry=registry)
    def book_trip(tx: Saga) -> None:
        tx.add_step("flight", lambda c: done.append("flight"), lambda c: done.append("-flight"))
        tx.add_step("hotel", lambda c: done.append("hotel"), lambda c: done.append("-hotel"))
        tx.add_step("car", lambda c: Failure("no cars") if c["car"] else done.append("car"))

    assert await book_trip({"car": False}) == Success({"car": False})
    result = await book_trip({"car": True})
    assert isinstance(result, Failure)
    assert result.error.status is SagaStatus.COMPENSATED
    assert done == ["flight", "hotel", "car", "flight", "hotel", "-hotel", "-flight"]
    assert registry.get("trip") is book_trip.saga


async def test_bare_decorator_names_the_saga_after_the_function() -> None:
    """Used bare, the saga is registered as ``module.qualname``."""
    registry_name = f"{__name__}.test_bare_decorator_names_the_saga_after_the_function.<locals>.pay"

    @distributed_transaction
    def pay(tx: Saga) -> None:
        tx.add_step("charge", lambda c: Success(None))

    assert pay.name == registry_name
    assert (await pay({})).is_success()


async def test_steps_added_with_the_step_decorator() -> None:
    """``@tx.step(compensate=...)`` adds steps after the declaration."""
    registry = SagaRegistry()

    @DistributedTransaction(name="later", registry=registry)
    def later(tx: Saga) -> None:
        """Steps come below."""

    @later.step(compensate=lambda c: None)
    def reserve(ctx: dict[str, Any]) -> None:
        ctx["reserved"] = True

    assert await later({}) == Success({"reserved": True})
    assert later.__doc__ == "Steps come below."


async def test_durable_log_and_recovery_by_name(tmp_path: Path) -> None:
    """A distributed transaction writes to its SagaLog and is found by name for recovery."""
    registry = SagaRegistry()
    async with SagaLog(f"sqlite:///{tmp_path / 'dt.db'}") as log:

        @DistributedTransaction(name="durable", log=log, registry=registry)
        def durable(tx: Saga) -> None:
            tx.add_step("a", lambda c: None)

        result = await durable({}, execution_id="d1")
        assert result.is_success()
        record = await log.load("d1")
        assert record is not None and record.saga_name == "durable"
        assert registry.get("durable") is durable.saga


def test_async_declaration_is_refused() -> None:
    """An ``async def`` declaration is a programmer error with a message saying what to do."""
    with pytest.raises(SagaDefinitionError, match="plain `def`"):

        @DistributedTransaction(name="bad", registry=SagaRegistry())
        async def bad(tx: Saga) -> None:  # pragma: no cover - never called
            pass
