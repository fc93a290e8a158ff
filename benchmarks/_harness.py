"""Shared timing and reporting for the benchmarks.

A benchmark module ``benchmarks/bench_<topic>.py`` defines ``main() -> None`` that measures
our code and its peers in the same process and prints one table with :func:`report`.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Row:
    """One case: our figure, and each peer's figure, in the same unit."""

    case: str
    ours: float
    peers: dict[str, float | None]
    unit: str = "ns"


def available(module: str) -> bool:
    """Whether a peer library can be imported (peers live in the ``bench`` extra)."""
    return importlib.util.find_spec(module) is not None


def per_call_ns(
    fn: Callable[[], object],
    *,
    repeat: int = 7,
    budget_s: float = 0.2,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Best-of-``repeat`` time of one ``fn()`` call in nanoseconds (auto-sized loops); pass
    ``clock=time.process_time`` for CPU time on a loaded machine."""
    number = 1
    while True:
        start = clock()
        for _ in range(number):
            fn()
        elapsed = clock() - start
        if elapsed >= budget_s / repeat or number >= 1 << 24:
            break
        number *= 4
    best = elapsed
    gc.disable()
    try:
        for _ in range(repeat - 1):
            start = clock()
            for _ in range(number):
                fn()
            best = min(best, clock() - start)
    finally:
        gc.enable()
    return best / number * 1e9


def per_call_ns_async(
    make: Callable[[], Awaitable[object]], *, number: int = 20_000, repeat: int = 5
) -> float:
    """Best-of-``repeat`` time of awaiting ``make()`` once, in nanoseconds, on one loop."""

    async def run() -> float:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(number):
                await make()
            best = min(best, time.perf_counter() - start)
        return best / number * 1e9

    return asyncio.run(run())


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.2f} {unit}"


def report(title: str, rows: list[Row], *, note: str = "") -> None:
    """Print rows as a table: ours, each peer, and peer/ours (>1 means we are faster)."""
    peers = list(dict.fromkeys(name for row in rows for name in row.peers))
    table = Table(title=title, caption=note or None)
    table.add_column("case")
    table.add_column("rfs", justify="right")
    for peer in peers:
        table.add_column(peer, justify="right")
        table.add_column(f"{peer}/rfs", justify="right")
    for row in rows:
        cells = [row.case, _fmt(row.ours, row.unit)]
        for peer in peers:
            value = row.peers.get(peer)
            cells.append(_fmt(value, row.unit))
            cells.append("n/a" if value is None or not row.ours else f"{value / row.ours:.2f}x")
        table.add_row(*cells)
    Console(width=200).print(table)
