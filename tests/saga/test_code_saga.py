"""``rfs.saga.CodeSaga``: the code form of a saga, public in ``rfs.saga`` as in ``rfs.tx``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rfs.result import Failure, Result, Success
from rfs.saga import (
    CodeSaga,
    MemorySagaLog,
    SagaDefinitionError,
    SagaLog,
    SagaRegistry,
    SagaStatus,
    TransactionScope,
    current_transaction,
)
from rfs.tx import TransactionScope as TxScope


class Abort(BaseException):
    """Stands in for the process dying."""


async def test_code_saga_runs_and_compensates_on_its_log() -> None:
    """Steps run as the function calls them; a Failure undoes them in reverse; the log has both."""
    undone: list[object] = []
    log = MemorySagaLog()
    registry = SagaRegistry()

    async def order(item: str) -> Result[str, str]:
        tx = current_transaction()
        await tx.step("reserve", lambda: f"stock:{item}", compensate=undone.append)
        await tx.step("charge", lambda: 42, compensate=undone.append)
        return Failure("no shipping") if item == "bad" else Success(f"shipped {item}")

    saga = CodeSaga("code_order", order, log=log, registry=registry, retry_backoff=0)

    assert await saga("book") == Success("shipped book")
    failed = await saga("bad")
    assert isinstance(failed, Failure)
    assert failed.error.compensated == ("charge", "reserve")
    assert undone == [42, "stock:bad"]
    assert registry.get("code_order") is saga
    statuses = sorted(r.status.value for r in await log.list(saga_name="code_order"))
    assert statuses == ["compensated", "completed"]


async def test_code_saga_recovers_from_its_durable_log(tmp_path: Path) -> None:
    """A crashed ``CodeSaga`` execution is replayed by ``recover()`` to completion."""
    registry = SagaRegistry()
    crash = [True]
    runs: list[str] = []

    def charge() -> str:
        runs.append("charge")
        if crash.pop() if crash else False:
            raise Abort
        return "charged"

    async def pay(amount: int, tx: TransactionScope) -> dict[str, object]:
        first = await tx.step("hold", lambda: runs.append("hold") or amount)
        second = await tx.step("charge", charge)
        return {"held": first.unwrap(), "receipt": second.unwrap()}

    async with SagaLog(f"sqlite:///{tmp_path / 'code.db'}") as log:
        saga = CodeSaga("code_pay", pay, log=log, registry=registry, lease=0.05)
        with pytest.raises(Abort):
            await saga(5)
        await asyncio.sleep(0.1)
        report = (await log.recover(registry)).unwrap()
        [result] = report.results.values()
        [record] = await log.list(saga_name="code_pay")
    assert result == Success({"held": 5, "receipt": "charged"})
    assert record.status is SagaStatus.COMPLETED
    assert runs == ["hold", "charge", "charge"]  # the logged step did not run again


def test_code_form_names_are_one_in_both_packages() -> None:
    """``rfs.tx`` exposes the same ``TransactionScope`` as ``rfs.saga``; outside, an error."""
    assert TxScope is TransactionScope
    with pytest.raises(SagaDefinitionError, match="outside"):
        current_transaction()
