"""Module-level task functions the executor tests send to worker processes by reference."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path


def noop() -> None:
    """Do nothing (dispatch latency)."""


def add(a: int, b: int) -> int:
    """Sum two constant parameters."""
    return a + b


def double(x: int) -> int:
    """Twice the upstream value."""
    return 2 * x


async def async_square(x: int) -> int:
    """The upstream value squared, after yielding to the loop."""
    await asyncio.sleep(0)
    return x * x


def count_to(n: int) -> Iterator[int]:
    """A sync stream 0..n-1."""
    yield from range(n)


async def acount_to(n: int) -> AsyncIterator[int]:
    """An async stream 0..n-1."""
    for i in range(n):
        await asyncio.sleep(0)
        yield i


def total(items: Iterator[int]) -> int:
    """Sum of a stream."""
    return sum(items)


def forever() -> None:
    """A sync infinite loop (only a process kill stops it)."""
    while True:
        pass


def boom() -> None:
    """Raise a plain error."""
    raise ValueError("boom")


def unpicklable() -> object:
    """Return a value pickle refuses."""
    return lambda: None


def pid() -> int:
    """The worker's process id."""
    return os.getpid()


def block_first_attempt(marker_dir: str, value: int) -> int:
    """First call: record the pid in ``marker_dir`` and block; later calls return ``value``.

    Lets a test kill the process running the first attempt mid-task.
    """
    directory = Path(marker_dir)
    started = sorted(directory.glob("started-*"))
    (directory / f"started-{len(started)}-{os.getpid()}").write_text(str(os.getpid()))
    if not started:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.05)
    return value


def stubborn() -> None:
    """An infinite loop that swallows every exception (only a hard kill stops it)."""
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
