"""Static checks of the saga API, run by `mypy --strict` and `pyright --strict` (make lint).

Nothing here runs in pytest.
"""

from __future__ import annotations

from typing import Any, assert_type

from rfs import Failure, Result, Success
from rfs.saga import (
    CodeSaga,
    RecoveryReport,
    Saga,
    SagaError,
    SagaLog,
    SagaLogError,
    StepContext,
    TransactionScope,
)
from rfs.tx import DistributedTransaction


def reserve(order: dict[str, int]) -> Result[dict[str, int], str]:
    return Success(order)


def release(order: dict[str, int], step: StepContext) -> Result[None, str]:
    assert_type(step.idempotency_key, str)
    return Success(None)


saga = Saga("typed").add_step("reserve", reserve, release, retries=1, timeout=2.0)
assert_type(saga, Saga)


async def run(log: SagaLog) -> None:
    result = await saga.execute({"qty": 1}, log=log)
    assert_type(result, Result[Any, SagaError])
    if isinstance(result, Failure):
        assert_type(result.error, SagaError)
        assert_type(result.error.compensated, tuple[str, ...])
    recovered = await log.recover()
    assert_type(recovered, Result[RecoveryReport, SagaLogError])


@DistributedTransaction(name="typed_tx")
def typed_tx(tx: Saga) -> None:
    tx.add_step("reserve", reserve, release)


def void_label(value: str) -> None:
    pass


async def ship(parcel: str, tx: TransactionScope) -> Result[str, str]:
    label = await tx.step("label", lambda: parcel, compensate=void_label)
    assert_type(label, Result[Any, object])
    return Success(parcel)


shipping = CodeSaga("typed_code", ship, lease=5.0, retry_backoff=0.1)
assert_type(shipping, CodeSaga)


async def run_code() -> None:
    assert_type(await shipping("book"), Result[Any, SagaError])


Saga("wrong_lease", lease="long")  # type: ignore[arg-type]
CodeSaga("wrong_option", ship, retries=2)  # type: ignore[call-arg]
