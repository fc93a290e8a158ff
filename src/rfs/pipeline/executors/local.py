"""In-process executor: async tasks on the event loop, sync tasks on a small thread pool."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from rfs.pipeline.executors.attempt import AttemptOutcome, TaskAttempt
from rfs.pipeline.executors.execute import run_attempt_async, run_attempt_sync
from rfs.pipeline.kinds import TaskKind

__all__ = ["LocalExecutor"]

_SYNC_KINDS = frozenset({TaskKind.SYNC, TaskKind.GENERATOR})


class _Inbox:
    """Results coming back to one event loop: one loop wake-up drains every finished job."""

    __slots__ = ("_done", "_loop", "_woken")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._done: deque[tuple[asyncio.Future[Any], bool, Any]] = deque()
        self._woken = False

    def put(self, fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
        """Called by a worker thread: queue the result and wake the loop unless already woken."""
        self._done.append((fut, ok, value))
        if not self._woken:  # checked after the append: a drain clears the flag before popping
            self._woken = True
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        self._woken = False
        done = self._done
        while done:
            fut, ok, value = done.popleft()
            if fut.cancelled():
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)


_Job = tuple[_Inbox, "asyncio.Future[Any]", Callable[[Any], Any], Any]


class _Threads:
    """Daemon worker threads fed by one queue, spawned only while every thread is busy, up to
    ``max_threads``. Cheaper per call than ``ThreadPoolExecutor`` (no concurrent Future per job,
    results delivered in batches) and never blocks interpreter exit on a stuck task."""

    def __init__(self, max_threads: int) -> None:
        self.max_threads = max_threads
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._busy: deque[None] = deque()  # one entry per unfinished job (atomic append/pop)
        self._threads: list[threading.Thread] = []
        self._spawn_lock = threading.Lock()
        self._inbox: _Inbox | None = None

    def submit(self, fn: Callable[[Any], Any], arg: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        inbox = self._inbox
        if inbox is None or inbox._loop is not loop:
            inbox = self._inbox = _Inbox(loop)
        fut: asyncio.Future[Any] = loop.create_future()
        busy = self._busy
        busy.append(None)
        if len(busy) > len(self._threads) < self.max_threads:
            self._spawn()
        self._jobs.put((inbox, fut, fn, arg))
        return fut

    def _spawn(self) -> None:
        with self._spawn_lock:
            if len(self._threads) < self.max_threads:
                thread = threading.Thread(target=self._work, name="rfs-task", daemon=True)
                self._threads.append(thread)
                thread.start()

    def _work(self) -> None:
        get, busy = self._jobs.get, self._busy
        while (job := get()) is not None:
            inbox, fut, fn, arg = job
            try:
                ok, value = True, fn(arg)
            except BaseException as exc:
                ok, value = False, exc
            busy.pop()
            inbox.put(fut, ok, value)

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
        if attempt.kind in _SYNC_KINDS:
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
