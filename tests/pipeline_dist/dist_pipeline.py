"""A small pipeline (own registries) that the tests run on every executor."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator

from rfs.pipeline import TaskRegistry

from .dist_tasks import block_first_attempt

registry = TaskRegistry()


@registry.task(tags=["etl"])
def orders() -> list[dict[str, int]]:
    """Extract: a few orders."""
    return [{"id": i, "amount": i * 10} for i in range(1, 9)]


@registry.task(tags=["etl"], dependencies=["orders"])
async def amounts(orders: list[dict[str, int]]) -> list[int]:
    """Transform on the event loop."""
    await asyncio.sleep(0)
    return [o["amount"] for o in orders]


@registry.task(tags=["etl"], dependencies=["orders"])
def large(orders: list[dict[str, int]]) -> Iterator[int]:
    """A stream: ids of orders above 40."""
    for o in orders:
        if o["amount"] > 40:
            yield o["id"]


@registry.task(tags=["etl"], dependencies=["amounts", "large"])
def summary(amounts: list[int], large: Iterable[int]) -> dict[str, object]:
    """Aggregate both branches."""
    return {"total": sum(amounts), "large": list(large)}


faults = TaskRegistry()


@faults.task(max_retries=2, retry_backoff=0.01)
def flaky(marker_dir: str) -> int:
    """Blocks on its first attempt (a test kills its process), returns 7 on a retry."""
    return block_first_attempt(marker_dir, 7)


@faults.task(dependencies=["flaky"])
def after(flaky: int) -> int:
    """Downstream of the flaky task."""
    return flaky * 6


stuck = TaskRegistry()


@stuck.task(timeout=1)
def spin() -> None:
    """A sync infinite loop."""
    while True:
        pass
