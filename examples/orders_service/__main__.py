"""Both profiles in one process: two databases, orders through the saga, a two-day report."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from examples.orders_service.app import build_registry
from examples.orders_service.ports import OrderStore
from examples.orders_service.report import nightly_scheduler
from examples.orders_service.settings import Settings
from examples.orders_service.use_cases import PlaceOrder
from rfs.di import Registry
from rfs.events import Event
from rfs.events.ports import Broker
from rfs.result import is_success
from rfs.scheduler import FakeClock


async def place(registry: Registry, customer: str, amount_cents: int) -> str:
    """One request: place an order in the registry's scope; a line describing the outcome."""
    async with registry.request_scope():
        placed = await registry.resolve(PlaceOrder).execute(customer, amount_cents)
    if is_success(placed):
        return f"placed {placed.value.id} for {customer} ({placed.value.payment_ref})"
    return f"refused for {customer}: {placed.error}"


async def run_profile(profile: str, database_url: str) -> None:
    """Two good orders and a declined one, the events seen, then two nights of reports."""
    registry = build_registry(profile, Settings(database_url))
    await registry.start()
    announced: list[Event] = []
    subscription = registry.resolve(Broker).consume("orders.*")
    lines = [
        await place(registry, "ada", 4_200),
        await place(registry, "bob", 500_000),  # over the card limit: declined, nothing kept
        await place(registry, "cy", 1_800),
    ]
    async for event in subscription:
        announced.append(event)
        if len(announced) == 2:
            break
    await subscription.close()
    async with registry.request_scope():
        total = await registry.resolve(OrderStore).total_cents()
    totals: list[int] = []
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    scheduler = await nightly_scheduler(registry, clock, totals)
    await clock.advance(timedelta(days=2))  # two nightly runs, no drain() between
    await scheduler.stop()
    await registry.shutdown()
    for line in lines:
        print(f"[{profile}] {line}")
    print(f"[{profile}] events: {[e.data['customer'] for e in announced]}")
    print(f"[{profile}] stored total: {total.unwrap_or(-1)} cents; nightly reports: {totals}")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        test = run_profile("test", "sqlite+aiosqlite:///:memory:")
        prod = run_profile("prod", f"sqlite+aiosqlite:///{Path(tmp) / 'orders.db'}")
        await asyncio.gather(test, prod)  # side by side: two databases at once


if __name__ == "__main__":
    asyncio.run(main())
