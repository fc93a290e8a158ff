"""Cancellation and shutdown, for real: coroutines see CancelledError, queued tasks never start."""

from __future__ import annotations

import asyncio
import threading
import time

from rfs.async_tasks import AsyncTaskManager, TaskCancelled, TaskStatus
from rfs.result import Failure, Success


async def stubborn(release: asyncio.Event) -> None:
    """Swallows every cancellation until ``release`` is set."""
    while not release.is_set():
        try:
            await release.wait()
        except asyncio.CancelledError:
            continue


async def test_cancel_running_coroutine_delivers_cancelled_error() -> None:
    """The running coroutine sees CancelledError; status and result say cancelled."""
    started, seen = asyncio.Event(), asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.set()
            raise

    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(work)
        await started.wait()
        assert await manager.cancel(task_id) is True
        assert seen.is_set()
        assert await manager.get_status(task_id) is TaskStatus.CANCELLED
        result = await manager.get_result(task_id)
    assert isinstance(result, Failure) and isinstance(result.error, TaskCancelled)
    assert result.error.started and not result.error.ignored


async def test_a_cancelled_queued_task_never_starts() -> None:
    """A task cancelled while queued is never run, and the queue goes on with the others."""
    gate = asyncio.Event()
    ran: list[str] = []

    async def blocker() -> None:
        await gate.wait()

    async def note(label: str) -> None:
        ran.append(label)

    async with AsyncTaskManager(max_workers=1) as manager:
        await manager.submit(blocker)
        doomed = await manager.submit(note, "doomed")
        await manager.submit(note, "kept")
        assert await manager.cancel(doomed) is True
        result = await manager.get_result(doomed)
        assert isinstance(result, Failure) and result.error == TaskCancelled(doomed, started=False)
        gate.set()
    assert ran == ["kept"]


async def test_cancel_of_a_finished_task_is_false() -> None:
    """Cancelling a finished task changes nothing and returns False."""
    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(asyncio.sleep, 0)
        await manager.get_result(task_id)
        assert await manager.cancel(task_id) is False
        assert await manager.get_status(task_id) is TaskStatus.COMPLETED


async def test_a_coroutine_ignoring_cancellation_is_reported_and_frees_its_slot() -> None:
    """A coroutine swallowing CancelledError is marked cancel_ignored after the grace period
    and its worker slot goes to the next task."""
    release = asyncio.Event()

    async with AsyncTaskManager(max_workers=1, cancel_grace=0.05) as manager:
        task_id = await manager.submit(stubborn, release)
        after = await manager.submit(asyncio.sleep, 0, "next")
        await asyncio.sleep(0)
        assert await manager.cancel(task_id) is True
        info = manager.get_info(task_id)
        assert info is not None and info.cancel_ignored
        assert info.status is TaskStatus.CANCELLED
        result = await manager.get_result(task_id)
        assert isinstance(result, Failure) and result.error.ignored
        assert await manager.get_result(after, timeout=5) == Success("next")
        release.set()


async def test_cancel_of_a_sync_task_is_reported_as_ignored() -> None:
    """A sync task cannot be interrupted: cancel returns at once and says it ignored it."""
    release, entered = threading.Event(), threading.Event()

    def blocking() -> None:
        entered.set()
        release.wait(10)

    async with AsyncTaskManager(cancel_grace=5) as manager:
        task_id = await manager.submit(blocking)
        await asyncio.to_thread(entered.wait, 5)
        start = time.monotonic()
        assert await manager.cancel(task_id) is True
        assert time.monotonic() - start < 1
        result = await manager.get_result(task_id)
        assert isinstance(result, Failure) and result.error.ignored
        release.set()


async def test_shutdown_cancel_stops_everything_and_reports_stuck_tasks() -> None:
    """shutdown(cancel=True) cancels queued and running tasks and returns within its timeout,
    naming the task stuck in blocking sync code."""
    release, entered = threading.Event(), threading.Event()
    seen: list[str] = []

    def blocking() -> None:
        entered.set()
        release.wait(10)

    async def polite() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("polite")
            raise

    manager = AsyncTaskManager(max_workers=2)
    stuck = await manager.submit(blocking)
    nice = await manager.submit(polite)
    queued = await manager.submit(polite)
    await asyncio.to_thread(entered.wait, 5)
    start = time.monotonic()
    report = await manager.shutdown(cancel=True, timeout=0.2)
    assert time.monotonic() - start < 2
    release.set()
    assert report.ignored_cancel == (stuck,)
    assert set(report.cancelled) == {nice, queued}
    assert seen == ["polite"]  # the queued one never started
    assert manager.stats().cancelled == 3


async def test_shutdown_cancel_returns_despite_a_coroutine_ignoring_it() -> None:
    """A coroutine ignoring cancellation does not hold shutdown beyond its timeout."""
    release = asyncio.Event()

    manager = AsyncTaskManager()
    task_id = await manager.submit(stubborn, release)
    await asyncio.sleep(0)
    start = time.monotonic()
    report = await manager.shutdown(cancel=True, timeout=0.1)
    assert 0.09 <= time.monotonic() - start < 2
    assert report.ignored_cancel == (task_id,)
    release.set()
    await asyncio.sleep(0.01)


async def test_shutdown_wait_finishes_queued_and_running_tasks() -> None:
    """shutdown(wait=True) returns once every queued and running task has finished."""
    done: list[int] = []

    async def work(i: int) -> None:
        await asyncio.sleep(0.001)
        done.append(i)

    manager = AsyncTaskManager(max_workers=2)
    for i in range(10):
        await manager.submit(work, i)
    report = await manager.shutdown(wait=True)
    assert sorted(done) == list(range(10)) and report.unfinished == ()


async def test_shutdown_wait_with_timeout_reports_unfinished() -> None:
    """A shutdown wait that times out lists the tasks still going; they keep running."""
    gate = asyncio.Event()

    async def waits() -> None:
        await gate.wait()

    manager = AsyncTaskManager()
    task_id = await manager.submit(waits)
    report = await manager.shutdown(wait=True, timeout=0.02)
    assert report.unfinished == (task_id,)
    gate.set()
    assert await manager.get_result(task_id, timeout=5) == Success(None)


async def test_context_manager_cancels_on_error() -> None:
    """Leaving ``async with`` by an exception cancels the tasks still running."""
    seen: list[str] = []

    async def work() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    manager = AsyncTaskManager()
    try:
        async with manager:
            await manager.submit(work)
            await asyncio.sleep(0)
            raise LookupError("caller failed")
    except LookupError:
        pass
    assert seen == ["cancelled"]


async def test_cancelling_the_waiter_does_not_cancel_the_task() -> None:
    """A get_result caller that is itself cancelled leaves the task running."""
    gate = asyncio.Event()

    async def waits() -> int:
        await gate.wait()
        return 1

    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(waits)
        waiter = asyncio.create_task(manager.get_result(task_id))
        await asyncio.sleep(0.01)
        waiter.cancel()
        await asyncio.sleep(0)
        assert await manager.get_status(task_id) is TaskStatus.RUNNING
        gate.set()
        assert await manager.get_result(task_id) == Success(1)


async def test_a_task_raising_cancelled_error_itself_does_not_stop_the_queue() -> None:
    """A task raising CancelledError on its own is cancelled; the queued tasks still run."""

    async def gives_up() -> None:
        raise asyncio.CancelledError

    async with AsyncTaskManager(max_workers=1) as manager:
        first = await manager.submit(gives_up)
        second = await manager.submit(asyncio.sleep, 0, "after")
        assert await manager.get_result(second, timeout=5) == Success("after")
        assert await manager.get_status(first) is TaskStatus.CANCELLED
