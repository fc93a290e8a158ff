"""``@DistributedTransaction``: steps declared by a function, run as a compensating saga."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from rfs.result import Failure, Result, Success
from rfs.saga import Saga, SagaDefinitionError, SagaLog, SagaRegistry, SagaStatus, StepContext
from rfs.tx import DistributedTransaction, distributed_transaction
from rfs.tx.distributed import TransactionScope, current_transaction


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


async def test_v4_workflow_form_compensates_in_reverse() -> None:
    """RFS v4's ``@DistributedTransaction(saga_id=..., timeout=...)`` on an async function:
    a Failure undoes the completed steps in reverse, each given its action's value."""
    undone: list[object] = []

    async def create_account(step: StepContext) -> Result[dict[str, str], str]:
        return Success({"account": step.idempotency_key.rsplit(":", 1)[1]})

    @DistributedTransaction(saga_id="user_registration", timeout=600)
    async def register(user: dict[str, Any], tx: TransactionScope) -> Result[str, str]:
        account = await tx.step("account", create_account, compensate=undone.append)
        await tx.step("mailbox", lambda: Success("box-1"), compensate=undone.append)
        if user["vip"]:
            return Success(f"registered {account.unwrap()['account']}")
        quota = await tx.step("quota", lambda: Failure("quota service down"))
        return quota

    assert await register({"vip": True}) == Success("registered account")
    result = await register({"vip": False})
    assert isinstance(result, Failure)
    error = result.error
    assert error.saga == "user_registration"
    assert error.step == "quota" and error.cause == "quota service down"
    assert error.compensated == ("mailbox", "account")
    assert undone == ["box-1", {"account": "account"}]


async def test_workflow_exception_and_timeout_are_compensated() -> None:
    """An exception or the transaction timeout undoes the steps and becomes the cause."""
    undone: list[str] = []

    @distributed_transaction("raises")
    async def raises() -> None:
        await current_transaction().step("a", lambda: 1, compensate=lambda: undone.append("a"))
        raise RuntimeError("lost connection")

    @DistributedTransaction(name="slow", timeout=0.05)
    async def slow(tx: TransactionScope) -> None:
        await tx.step("b", lambda: 2, compensate=lambda: undone.append("b"))
        await asyncio.sleep(10)

    first = await raises()
    assert isinstance(first, Failure) and isinstance(first.error.cause, RuntimeError)
    second = await slow()
    assert isinstance(second, Failure) and isinstance(second.error.cause, TimeoutError)
    assert undone == ["a", "b"]


async def test_workflow_failing_compensation_is_reported() -> None:
    """A compensation that keeps failing is retried ``retry_count`` times, then reported."""
    attempts: list[int] = []

    def refund(value: object, step: StepContext) -> Result[None, str]:
        attempts.append(step.attempt)
        return Failure("bank offline")

    @DistributedTransaction(name="pay", retry_count=2, retry_backoff=0.001)
    async def pay(tx: TransactionScope) -> Result[None, str]:
        await tx.step("charge", lambda: "charge-1", compensate=refund)
        return Failure("shipping refused")

    result = await pay()
    assert isinstance(result, Failure)
    assert attempts == [1, 2, 3]
    assert result.error.status is SagaStatus.FAILED
    assert [f.step for f in result.error.failed_compensations] == ["charge"]


async def test_workflow_step_retries() -> None:
    """``tx.step(..., retries=n)`` retries a failing action under one idempotency key."""
    keys: list[str] = []

    def flaky(step: StepContext) -> Result[str, str]:
        keys.append(step.idempotency_key)
        return Success("ok") if step.attempt == 2 else Failure("busy")

    @DistributedTransaction(name="retrying", retry_backoff=0.001)
    async def retrying(tx: TransactionScope) -> Result[Any, object]:
        return await tx.step("flaky", flaky, retries=1)

    assert await retrying() == Success("ok")
    assert len(keys) == 2 and keys[0] == keys[1]


def test_current_transaction_outside_is_a_programmer_error() -> None:
    """``current_transaction()`` outside a transaction raises, saying where it must be used."""
    with pytest.raises(SagaDefinitionError, match="outside a @DistributedTransaction"):
        current_transaction()
