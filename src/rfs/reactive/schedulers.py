"""RFS v4's ``Scheduler``: run a task now, after a delay, or in a thread pool.

The thread pools of the ``parallel`` and ``io`` schedulers start on first use, so importing
this module starts no thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from typing import Any

__all__ = ["Scheduler", "SchedulerType", "immediate", "io", "parallel", "single"]


class SchedulerType(Enum):
    IMMEDIATE = "immediate"
    SINGLE = "single"
    PARALLEL = "parallel"
    IO = "io"


_POOL_SIZES = {SchedulerType.IO: 10, SchedulerType.PARALLEL: None}


class Scheduler:
    """``await scheduler.schedule(task, delay=None)``: the task's value (awaited if async)."""

    def __init__(self, scheduler_type: SchedulerType = SchedulerType.IMMEDIATE) -> None:
        self.scheduler_type = scheduler_type
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=_POOL_SIZES[self.scheduler_type],
                thread_name_prefix=f"rfs-{self.scheduler_type.value}",
            )
        return self._executor

    async def schedule(self, task: Callable[[], Any], delay: float | None = None) -> Any:
        """Run ``task`` (after ``delay`` seconds); pool schedulers run it in a worker thread.

        An async task on a pool scheduler runs in the worker with its own event loop.
        """
        if delay:
            await asyncio.sleep(delay)
        if self.scheduler_type in _POOL_SIZES:
            loop = asyncio.get_running_loop()
            if asyncio.iscoroutinefunction(task):
                return await loop.run_in_executor(self._pool(), lambda: asyncio.run(task()))
            return await loop.run_in_executor(self._pool(), task)
        value = task()
        return await value if hasattr(value, "__await__") else value

    def dispose(self) -> None:
        """Shut the thread pool down (a later ``schedule`` starts a new one)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None


immediate = Scheduler(SchedulerType.IMMEDIATE)
single = Scheduler(SchedulerType.SINGLE)
parallel = Scheduler(SchedulerType.PARALLEL)
io = Scheduler(SchedulerType.IO)
