"""Bounded memory: 100,000 tasks through a manager with retention 1,000."""

from __future__ import annotations

import tracemalloc

import pytest

from rfs.async_tasks import AsyncTaskManager


async def noop(i: int) -> int:
    return i


@pytest.mark.slow
async def test_100k_tasks_with_retention_1000_keep_memory_bounded() -> None:
    """Memory after 100,000 tasks is within a small margin of memory after 10,000."""
    manager = AsyncTaskManager(max_workers=10, retention=1_000)
    tracemalloc.start()
    try:
        marks = []
        for batch in range(100):
            last = ""
            for i in range(1_000):
                last = await manager.submit(noop, i)
            await manager.get_result(last)
            if batch in (9, 99):
                marks.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    assert len(manager.tasks) <= 1_000
    assert manager.stats().completed == 100_000
    assert marks[1] - marks[0] < 256 * 1024, f"grew {marks[1] - marks[0]} bytes"
