"""``@DistributedTransaction`` on an async function with a durable log: logged, replayed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rfs.result import Failure, Result, Success
from rfs.saga import EventKind, SagaLog, SagaRegistry, SagaStatus, StepContext
from rfs.tx import DistributedTransaction
from rfs.tx.distributed import TransactionScope


class Abort(BaseException):
    """Stands in for the process dying."""


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[SagaLog]:
    async with SagaLog(f"sqlite:///{tmp_path / 'wf.db'}") as saga_log:
        yield saga_log


async def test_steps_are_logged_with_their_values(log: SagaLog) -> None:
    """Each ``tx.step`` is logged with its JSON value; a Failure compensates in reverse."""
    undone: list[Any] = []
    registry = SagaRegistry()

    @DistributedTransaction(name="wf_logged", log=log, registry=registry)
    async def order(item: str, tx: TransactionScope) -> Result[str, str]:
        stock = await tx.step("reserve", lambda: {"item": item}, compensate=undone.append)
        await tx.step("charge", lambda: 42, compensate=undone.append)
        if item == "bad":
            return Failure("no shipping")
        return Success(f"shipped {stock.unwrap()['item']}")

    assert await order("book") == Success("shipped book")
    result = await order("bad")
    assert isinstance(result, Failure)
    assert result.error.compensated == ("charge", "reserve")
    assert undone == [42, {"item": "bad"}]
    records = await log.list(saga_name="wf_logged")
    statuses = sorted(r.status.value for r in records)
    assert statuses == ["compensated", "completed"]
    done = next(r for r in records if r.status is SagaStatus.COMPLETED)
    full = await log.load(done.id)
    assert full is not None and full.context == {"args": ["book"], "kwargs": {}}
    values = [e.detail for e in full.events if e.kind is EventKind.STEP_SUCCEEDED]
    assert values == ['{"item":"book"}', "42"]


async def test_crashed_execution_is_replayed(log: SagaLog) -> None:
    """Recovery re-runs the function: logged steps return their values, the interrupted one
    runs again with its idempotency key, and the function completes."""
    runs: list[tuple[str, bool]] = []
    crash = [True]
    registry = SagaRegistry()

    def reserve(step: StepContext) -> dict[str, int]:
        runs.append((step.step, step.recovering))
        return {"reservation": 7}

    def charge(step: StepContext) -> str:
        runs.append((step.step, step.recovering))
        if crash.pop() if crash else False:
            raise Abort
        return f"charged:{step.idempotency_key.split(':')[0] == step.execution_id}"

    @DistributedTransaction(name="wf_crash", log=log, registry=registry, lease=0.05)
    async def order(qty: int, tx: TransactionScope) -> Result[dict[str, Any], str]:
        reservation = (await tx.step("reserve", reserve)).unwrap()
        receipt = (await tx.step("charge", charge)).unwrap()
        return Success({"qty": qty, **reservation, "receipt": receipt})

    with pytest.raises(Abort):
        await order(3)
    await asyncio.sleep(0.1)
    report = (await log.recover(registry)).unwrap()
    [result] = report.results.values()
    assert result == Success({"qty": 3, "reservation": 7, "receipt": "charged:True"})
    assert runs == [("reserve", False), ("charge", False), ("charge", True)]


async def test_crash_mid_compensation_is_finished(log: SagaLog) -> None:
    """A crash while undoing is finished by recovery without running new steps."""
    undone: list[str] = []
    crash = [True]
    ran: list[str] = []
    registry = SagaRegistry()

    def undo_b(value: str) -> None:
        undone.append(value)
        if crash.pop() if crash else False:
            raise Abort

    @DistributedTransaction(name="wf_undo", log=log, registry=registry, lease=0.05)
    async def flow(tx: TransactionScope) -> Result[None, str]:
        await tx.step("a", lambda: ran.append("a") or "A", compensate=undone.append)
        await tx.step("b", lambda: ran.append("b") or "B", compensate=undo_b)
        failed = await tx.step("c", lambda: Failure("declined"))
        return failed

    with pytest.raises(Abort):
        await flow()
    await asyncio.sleep(0.1)
    report = (await log.recover(registry)).unwrap()
    [result] = report.results.values()
    assert isinstance(result, Failure)
    assert result.error.status is SagaStatus.COMPENSATED
    assert result.error.step == "c"
    assert undone == ["B", "B", "A"]
    assert ran == ["a", "b"]  # the replay ran no step again


async def test_changed_step_order_is_refused(log: SagaLog) -> None:
    """A replay calling different steps than the log fails instead of mixing them up."""
    registry = SagaRegistry()
    order = ["a", "b"]
    crash = [True]

    def maybe_crash() -> None:
        if crash.pop() if crash else False:
            raise Abort

    @DistributedTransaction(name="wf_order", log=log, registry=registry, lease=0.05)
    async def flow(tx: TransactionScope) -> None:
        await tx.step(order[0], lambda: 1)
        await tx.step(order[1], maybe_crash)

    with pytest.raises(Abort):
        await flow()
    order.reverse()
    await asyncio.sleep(0.1)
    report = (await log.recover(registry)).unwrap()
    [result] = report.results.values()
    assert isinstance(result, Failure)
    assert "same order" in str(result.error.cause)
