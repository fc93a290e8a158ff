"""In-process executor: async tasks on the event loop, sync tasks on a small thread pool."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rfs.pipeline.executors.base import (
    AttemptOutcome,
    TaskAttempt,
    run_attempt_async,
    run_attempt_sync,
)
from rfs.pipeline.registry import TaskKind

__all__ = ["LocalExecutor"]

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[Any], Any], Any]


def _resolve(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


class _Threads:
    """Daemon worker threads fed by one queue; cheaper per call than ThreadPoolExecutor
    (no concurrent Future per job) and never blocks interpreter exit on a stuck task."""

    def __init__(self, max_threads: int) -> None:
        self.max_threads = max_threads
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            if self._idle == 0 and len(self._threads) < self.max_threads:
                thread = threading.Thread(target=self._work, name="rfs-task", daemon=True)
                self._threads.append(thread)
                thread.start()
            else:
                self._idle -= 1  # one idle thread will take this job
        self._jobs.put((loop, fut, fn, arg))
        return fut

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, fut, fn, arg = job
            try:
                ok, value = True, fn(arg)
            except BaseException as exc:
                ok, value = False, exc
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_resolve, fut, ok, value)
            with self._lock:
                self._idle += 1

    def shutdown(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        self._threads.clear()


class LocalExecutor:
    """Runs attempts in this process: the lowest overhead, no isolation.

    ``max_threads`` bounds concurrently running sync tasks (default ``min(32, CPUs + 4)``, as
    for ``ThreadPoolExecutor``; raise it for many concurrent blocking I/O tasks). A timed-out
    async task is cancelled; a timed-out sync task is reported ``TIMED_OUT`` at once but its
    thread cannot be killed and runs on in the background: use the multiprocess executor for
    code that can hang.
    """

    name = "local"

    def __init__(self, max_threads: int | None = None) -> None:
        self.max_threads = max_threads or min(32, (os.cpu_count() or 1) + 4)
        self._threads: _Threads | None = None

    async def start(self) -> None:
        if self._threads is None:
            self._threads = _Threads(self.max_threads)

    async def submit(self, attempt: TaskAttempt) -> AttemptOutcome:
        if self._threads is None:
            await self.start()
        assert self._threads is not None
        started = time.time()
        work: Awaitable[AttemptOutcome]
        if attempt.kind in (TaskKind.SYNC, TaskKind.GENERATOR):
            work = self._threads.submit(run_attempt_sync, attempt)
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
        threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown()
