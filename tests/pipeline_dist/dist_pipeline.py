"""A small pipeline (own registries) that the tests run on every executor."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from rfs.pipeline import TaskRegistry

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
    directory = Path(marker_dir)
    started = sorted(directory.glob("started-*"))
    (directory / f"started-{len(started)}-{os.getpid()}").write_text("")
    if not started:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.05)
    return 7


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
