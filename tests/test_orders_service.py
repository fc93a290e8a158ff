"""The orders-service example: two profiles side by side, the saga, events, the nightly report.

Tested with ``rfs.testing`` as its user would: Result assertions, and a store made to fail
through ``mock_result_service`` to see the saga refund the charge.
"""

from __future__ import annotations

import subprocess  # nosec B404: runs mypy on the example
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from examples.orders_service.app import build_registry
from examples.orders_service.ports import Order, OrderStore
from examples.orders_service.report import nightly_scheduler
from examples.orders_service.settings import Settings
from examples.orders_service.use_cases import PlaceOrder

from _examples import ROOT, run_example
from rfs.di import Registry
from rfs.saga import SagaError
from rfs.scheduler import FakeClock
from rfs.testing import assert_result_error, assert_result_success, mock_result_service

PACKAGE = ROOT / "examples" / "orders_service"


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[Registry]:
    built = build_registry("prod", Settings(f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}"))
    await built.start()
    yield built
    await built.shutdown()


def test_example_runs_both_profiles_side_by_side() -> None:
    """Each profile places two orders, refuses the one over the card limit, sees two events,
    and its scheduler ran the report on each of two nights."""
    out = run_example("orders_service")
    for profile, ref in (("test", "fake-"), ("prod", "card-")):
        assert f"[{profile}] placed" in out and f"for ada ({ref}1)" in out
        assert f"[{profile}] refused for bob: Saga failed at charge: payment declined" in out
        assert f"[{profile}] events: ['ada', 'cy']" in out
        assert f"[{profile}] stored total: 6000 cents; nightly reports: [6000, 6000]" in out


async def test_a_failing_store_refunds_the_charge(registry: Registry) -> None:
    """When storing fails, the saga compensates the charge and keeps no order."""
    async with registry.request_scope():
        place = registry.resolve(PlaceOrder)
        store = registry.resolve(OrderStore)
        with mock_result_service(store, "add") as add:
            add.return_error("disk full")
            refused = await place.execute("ada", 4_200)
        error = assert_result_error(refused, SagaError)
        assert "Saga failed at store: disk full" in str(error)
        assert error.compensated == ("charge",) and place.refunds == ["card-1"]
        assert_result_success(await store.total_cents(), int)
        assert (await store.total_cents()).unwrap() == 0


async def test_report_reads_what_the_use_case_stored(registry: Registry) -> None:
    """Orders placed through the saga are in the profile's database for the nightly task."""
    async with registry.request_scope():
        order = assert_result_success(
            await registry.resolve(PlaceOrder).execute("cy", 1_800), Order
        )
    assert order.amount_cents == 1_800 and order.payment_ref.startswith("card-")
    totals: list[int] = []
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    scheduler = await nightly_scheduler(registry, clock, totals)
    await clock.advance(timedelta(days=3))
    await scheduler.stop()
    assert totals == [1_800, 1_800, 1_800]


def test_example_type_checks_strictly_with_no_ignores() -> None:
    """``mypy --strict`` passes on the package, and no line of it silences the checker."""
    sources = sorted(PACKAGE.glob("*.py"))
    assert not [p.name for p in sources if "type: ignore" in p.read_text(encoding="utf-8")]
    done = subprocess.run(  # nosec B603: fixed command
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache"),
         str(PACKAGE)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
