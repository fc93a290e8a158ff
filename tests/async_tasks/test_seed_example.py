"""Seed 000's AsyncTaskManager example runs unchanged (but for its import)."""

from __future__ import annotations

import asyncio

from rfs import Result, Success
from rfs.async_tasks.manager import AsyncTaskManager, TaskStatus


async def process_data(data: list[int]) -> int:
    await asyncio.sleep(0)
    return sum(data)


async def test_seed_docstring_example() -> None:
    """``submit`` → id, ``get_status``, ``get_result`` exactly as the seed's docstring."""
    data = [1, 2, 3]
    manager = AsyncTaskManager(max_workers=10)
    task_id = await manager.submit(process_data, data)
    status = await manager.get_status(task_id)
    result = await manager.get_result(task_id)
    assert status in (TaskStatus.PENDING, TaskStatus.RUNNING)
    assert isinstance(result, Result) and result == Success(6)
    assert manager.tasks[task_id].status is TaskStatus.COMPLETED
    assert manager.tasks[task_id].completed_at is not None


async def test_seed_001_import_path() -> None:
    """Seed 001's module path ``rfs.async_tasks.task_manager`` gives the same class."""
    from rfs.async_tasks.task_manager import AsyncTaskManager as FromSeed001

    assert FromSeed001 is AsyncTaskManager
