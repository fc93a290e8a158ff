"""AsyncTaskManager: submission, outcomes, priority, timeouts, retries, listing and stats."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest

from rfs.async_tasks import (
    AsyncTaskManager,
    TaskError,
    TaskFailed,
    TaskNotFound,
    TaskStatus,
    WaitTimeout,
)
from rfs.async_tasks.backoff import retry_delay
from rfs.result import Failure, Success


async def double(x: int) -> int:
    return x * 2


async def test_submit_returns_a_uuid_and_the_result_is_the_value() -> None:
    """A coroutine's return value comes back as ``Success``; the id is a uuid4 string."""
    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(double, 21)
        assert uuid.UUID(task_id).version == 4
        assert await manager.get_result(task_id) == Success(42)
        assert await manager.get_status(task_id) is TaskStatus.COMPLETED


async def test_ids_are_unique() -> None:
    """Ten thousand submissions get ten thousand distinct ids."""
    async with AsyncTaskManager() as manager:
        ids = {await manager.submit(double, i) for i in range(10_000)}
    assert len(ids) == 10_000


async def test_a_returned_result_is_passed_through_not_wrapped() -> None:
    """``Success``/``Failure`` returned by the task are its outcome as they are."""

    async def ok() -> Success[int]:
        return Success(1)

    async def bad() -> Failure[str]:
        return Failure("declined")

    async with AsyncTaskManager() as manager:
        good, failed = await manager.submit(ok), await manager.submit(bad)
        assert await manager.get_result(good) == Success(1)
        assert await manager.get_result(failed) == Failure("declined")
        assert await manager.get_status(failed) is TaskStatus.FAILED
        info = manager.get_info(failed)
        assert info is not None and info.error == "declined"


async def test_an_exception_is_a_task_failed_carrying_it() -> None:
    """A raising task fails with ``TaskFailed`` holding the exception and the attempt count."""
    boom = ValueError("boom")

    async def raises() -> None:
        raise boom

    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(raises)
        result = await manager.get_result(task_id)
    assert isinstance(result, Failure)
    assert isinstance(result.error, TaskFailed)
    assert result.error.error is boom and result.error.attempts == 1
    assert "ValueError: boom" in str(result.error)


async def test_unknown_id_is_task_not_found() -> None:
    """An unknown id: ``TaskNotFound`` from get_result, ``None`` status, ``False`` cancel."""
    async with AsyncTaskManager() as manager:
        result = await manager.get_result("nope")
        assert result == Failure(TaskNotFound("nope"))
        assert await manager.get_status("nope") is None
        assert await manager.cancel("nope") is False


async def test_wait_timeout_leaves_the_task_running() -> None:
    """Waiting too briefly gives ``WaitTimeout``; the task then completes normally."""
    gate = asyncio.Event()

    async def waits() -> str:
        await gate.wait()
        return "done"

    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(waits)
        result = await manager.get_result(task_id, timeout=0.01)
        assert isinstance(result, Failure) and isinstance(result.error, WaitTimeout)
        assert isinstance(result.error, TaskError)
        assert await manager.get_status(task_id) is TaskStatus.RUNNING
        gate.set()
        assert await manager.get_result(task_id, timeout=5) == Success("done")


async def test_sync_functions_run_in_a_thread() -> None:
    """A sync function runs off the event loop's thread, with its arguments."""
    loop_thread = threading.get_ident()

    def where(a: int, *, b: int) -> tuple[int, bool]:
        return a + b, threading.get_ident() != loop_thread

    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(where, 1, b=2)
        assert await manager.get_result(task_id) == Success((3, True))


async def test_max_workers_bounds_concurrency() -> None:
    """No more than ``max_workers`` tasks run at the same time."""
    running = peak = 0

    async def track() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001)
        running -= 1

    async with AsyncTaskManager(max_workers=3) as manager:
        for _ in range(30):
            await manager.submit(track)
    assert peak == 3


async def test_higher_priority_runs_first() -> None:
    """Queued tasks start by priority (higher first), then in submission order."""
    order: list[str] = []
    gate = asyncio.Event()

    async def blocker() -> None:
        await gate.wait()

    async def note(label: str) -> None:
        order.append(label)

    async with AsyncTaskManager(max_workers=1) as manager:
        await manager.submit(blocker)
        await manager.submit(note, "low-1", priority=-1)
        await manager.submit(note, "normal-1")
        await manager.submit(note, "high", priority=5)
        await manager.submit(note, "normal-2")
        gate.set()
    assert order == ["high", "normal-1", "normal-2", "low-1"]


async def test_per_task_timeout_fails_with_timeout_error() -> None:
    """A task over its ``timeout`` is cancelled and fails with a ``TimeoutError``."""
    seen: list[str] = []

    async def slow() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(slow, timeout=0.02)
        result = await manager.get_result(task_id)
    assert isinstance(result, Failure) and isinstance(result.error, TaskFailed)
    assert isinstance(result.error.error, TimeoutError)
    assert seen == ["cancelled"]


async def test_own_timeout_error_is_not_reported_as_the_task_timeout() -> None:
    """A ``TimeoutError`` the task raises itself is reported as that exception."""
    mine = TimeoutError("upstream timed out")

    async def raises() -> None:
        raise mine

    async with AsyncTaskManager() as manager:
        result = await manager.get_result(await manager.submit(raises, timeout=10))
    assert isinstance(result, Failure) and result.error.error is mine


async def test_retries_on_failure_exception_and_timeout() -> None:
    """``retries`` reruns a task after a Failure, an exception or a timeout, then succeeds."""
    calls = 0

    async def flaky() -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            return Failure("first")
        if calls == 2:
            raise RuntimeError("second")
        if calls == 3:
            await asyncio.sleep(30)
        return "fourth"

    async with AsyncTaskManager(retry_backoff=0.001) as manager:
        task_id = await manager.submit(flaky, retries=3, timeout=0.05)
        assert await manager.get_result(task_id) == Success("fourth")
        info = manager.get_info(task_id)
        assert info is not None and info.attempts == 4
        assert manager.stats().retried == 3


async def test_retries_exhausted_returns_the_last_failure() -> None:
    """After the last retry the last outcome is the result, with the attempts counted."""

    async def always() -> None:
        raise KeyError("k")

    async with AsyncTaskManager(retry_backoff=0.001) as manager:
        result = await manager.get_result(await manager.submit(always, retries=2))
    assert isinstance(result, Failure) and result.error.attempts == 3


def test_backoff_doubles_with_jitter_and_a_cap() -> None:
    """The delay before retry n lies in [d/2, d] with d = base * 2**(n-1) capped."""
    for attempt, full in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (9, 0.5)]:
        delays = [retry_delay(attempt, 0.1, 0.5) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > 0


async def test_list_filters_by_status() -> None:
    """``list(status=...)`` gives the tasks of that status, by enum or by value."""
    gate = asyncio.Event()

    async def waits() -> None:
        await gate.wait()

    async with AsyncTaskManager(max_workers=1) as manager:
        first = await manager.submit(waits)
        second = await manager.submit(waits)
        await asyncio.sleep(0)
        assert [i.id for i in manager.list(TaskStatus.RUNNING)] == [first]
        assert [i.id for i in manager.list("pending")] == [second]
        assert [i.id for i in manager.list()] == [first, second]
        gate.set()
    assert len(manager.list(TaskStatus.COMPLETED)) == 2


async def test_stats_count_and_time_tasks() -> None:
    """stats() counts each outcome and gives wait and run percentiles."""

    async def nap() -> None:
        await asyncio.sleep(0.01)

    async def bad() -> None:
        raise ValueError

    async with AsyncTaskManager(max_workers=2) as manager:
        for _ in range(4):
            await manager.submit(nap)
        await manager.submit(bad)
        gate = await manager.submit(asyncio.sleep, 30)
        await asyncio.sleep(0.05)
        await manager.cancel(gate)
    stats = manager.stats()
    assert (stats.completed, stats.failed, stats.cancelled) == (4, 1, 1)
    assert (stats.queued, stats.running, stats.submitted) == (0, 0, 6)
    assert stats.run_p50 is not None and stats.run_p50 >= 0.009
    assert stats.run_p99 is not None and stats.run_p99 >= stats.run_p50
    assert stats.wait_p99 is not None and stats.wait_p99 >= 0
    assert stats.to_dict()["completed"] == 4


async def test_task_info_has_timestamps() -> None:
    """A finished task has created <= started <= completed, as datetimes too."""
    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(asyncio.sleep, 0.01)
        await manager.get_result(task_id)
        info = manager.get_info(task_id)
    assert info is not None and info.started is not None and info.completed is not None
    assert info.created <= info.started <= info.completed
    assert info.started_at is not None and info.created_at <= info.started_at
    assert info.run_time is not None and info.run_time >= 0.009
    assert info.to_dict()["status"] == "completed"


async def test_retention_forgets_the_oldest_finished_tasks() -> None:
    """With retention n only the n most recent finished tasks are kept."""
    async with AsyncTaskManager(retention=3) as manager:
        ids = [await manager.submit(double, i) for i in range(5)]
    assert [await manager.get_status(i) for i in ids[:2]] == [None, None]
    assert await manager.get_result(ids[-1]) == Success(8)
    assert isinstance((await manager.get_result(ids[0])).error, TaskNotFound)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_workers": 0}, "max_workers must be an int >= 1, got 0"),
        ({"max_workers": -3}, "max_workers must be an int >= 1"),
        ({"max_workers": 2.5}, "max_workers must be an int"),
        ({"timeout": -1}, "timeout must be None or a number of seconds >= 0, got -1"),
        ({"timeout": float("nan")}, "timeout must be"),
        ({"retries": -1}, "retries must be an int >= 0"),
        ({"retention": -1}, "retention must be an int >= 0"),
    ],
)
def test_bad_constructor_arguments_are_errors(kwargs: dict[str, object], message: str) -> None:
    """A bad argument raises ValueError naming it and the value."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        AsyncTaskManager(**kwargs)  # type: ignore[arg-type]


async def test_bad_call_arguments_are_clear_errors() -> None:
    """Negative timeouts, a coroutine object instead of a function, submit after shutdown."""
    manager = AsyncTaskManager()
    with pytest.raises(ValueError, match="timeout must be"):
        await manager.submit(double, 1, timeout=-0.5)
    with pytest.raises(ValueError, match="timeout must be"):
        await manager.get_result("x", timeout=-1)
    coro = double(1)
    with pytest.raises(TypeError, match=r"submit\(fn, \*args\)"):
        await manager.submit(coro)  # type: ignore[arg-type]
    coro.close()
    await manager.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        await manager.submit(double, 1)


async def test_concurrent_waiters_all_get_the_outcome() -> None:
    """Several callers waiting on one task each receive its result."""

    async def nap() -> int:
        await asyncio.sleep(0.01)
        return 7

    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(nap)
        results = await asyncio.gather(*(manager.get_result(task_id) for _ in range(5)))
    assert results == [Success(7)] * 5


async def test_contextvars_reach_sync_tasks() -> None:
    """A sync task sees the contextvars of the code that submitted it."""
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    var.set("request-1")
    async with AsyncTaskManager() as manager:
        task_id = await manager.submit(var.get)
        assert await manager.get_result(task_id) == Success("request-1")


async def test_sync_timeout_reports_the_thread_still_running() -> None:
    """A sync task over its timeout fails at once; the message says its thread goes on."""
    release = threading.Event()
    async with AsyncTaskManager() as manager:
        started = time.monotonic()
        task_id = await manager.submit(release.wait, 10, timeout=0.05)
        result = await manager.get_result(task_id)
        release.set()
    assert time.monotonic() - started < 5
    assert isinstance(result, Failure) and "thread is still running" in str(result.error)
