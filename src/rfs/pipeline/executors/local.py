"""In-process executor: async tasks on the event loop, sync tasks in a thread pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor

from rfs.pipeline.executors.base import (
    AttemptOutcome,
    TaskAttempt,
    run_attempt_async,
    run_attempt_sync,
)
from rfs.pipeline.registry import TaskKind

__all__ = ["LocalExecutor"]


class LocalExecutor:
    """Runs attempts in this process: the lowest overhead, no isolation.

    ``max_threads`` bounds concurrently running sync tasks (default 32). A timed-out async task
    is cancelled; a timed-out sync task is reported ``TIMED_OUT`` at once but its thread cannot
    be killed and runs on in the background: use the multiprocess executor for code that can
    hang.
    """

    name = "local"

    def __init__(self, max_threads: int = 32) -> None:
        self.max_threads = max_threads
        self._pool: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_threads, thread_name_prefix="rfs-task")

    async def submit(self, attempt: TaskAttempt) -> AttemptOutcome:
        if self._pool is None:
            await self.start()
        started = time.time()
        if attempt.kind in (TaskKind.SYNC, TaskKind.GENERATOR):
            loop = asyncio.get_running_loop()
            work: Awaitable[AttemptOutcome] = loop.run_in_executor(
                self._pool, run_attempt_sync, attempt
            )
        else:
            work = run_attempt_async(attempt)  # awaited in this task: no extra task per attempt
        if attempt.timeout is None:
            return await work
        try:
            async with asyncio.timeout(attempt.timeout):
                return await work
        except TimeoutError:
            return AttemptOutcome.timed_out(attempt.task_name, attempt.timeout, started_at=started)

    async def shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
