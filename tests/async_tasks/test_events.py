"""Lifecycle events on an rfs.events publisher."""

from __future__ import annotations

import asyncio
from typing import Any

from rfs.async_tasks import AsyncTaskManager
from rfs.events import Event, InMemoryBroker
from rfs.result import Failure, Result, Success


async def test_lifecycle_events_are_published_in_order() -> None:
    """A retried then successful task publishes submitted, started, retrying, completed."""
    broker = InMemoryBroker()
    subscription = broker.consume("tasks.*")
    calls = 0

    async def flaky() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("once")
        return 5

    async with AsyncTaskManager(publisher=broker, retry_backoff=0.001) as manager:
        task_id = await manager.submit(flaky, retries=1)
        await manager.get_result(task_id)
    topics = []
    async for event in subscription:
        assert event.correlation_id == task_id and event.data["id"] == task_id
        topics.append(event.topic)
        if event.topic == "tasks.completed":
            assert event.data["attempts"] == 2
            break
    assert topics == ["tasks.submitted", "tasks.started", "tasks.retrying", "tasks.completed"]
    await broker.close()


class Recorder:
    """A publisher that records topics, failing on demand."""

    def __init__(self, fail: bool = False) -> None:
        self.topics: list[str] = []
        self.fail = fail

    async def publish(self, topic: str, event: Any) -> Result[None, str]:
        assert isinstance(event, Event)
        self.topics.append(topic)
        if self.fail:
            return Failure("broker down")
        return Success(None)


async def test_cancel_and_failure_events() -> None:
    """Cancelled (queued and running) and failed tasks publish their own topics."""
    recorder = Recorder()

    async def bad() -> None:
        raise ValueError

    async with AsyncTaskManager(max_workers=1, publisher=recorder) as manager:
        failed = await manager.submit(bad)
        await manager.get_result(failed)
        running = await manager.submit(asyncio.sleep, 30)
        queued = await manager.submit(asyncio.sleep, 30)
        await asyncio.sleep(0)
        await manager.cancel(queued)
        await manager.cancel(running)
    assert recorder.topics.count("tasks.failed") == 1
    assert recorder.topics.count("tasks.cancelled") == 2


async def test_a_failing_publisher_does_not_fail_the_task(caplog: Any) -> None:
    """A publisher returning Failure is logged; the task still completes."""
    recorder = Recorder(fail=True)
    async with AsyncTaskManager(publisher=recorder) as manager:
        task_id = await manager.submit(asyncio.sleep, 0, "ok")
        assert await manager.get_result(task_id) == Success("ok")
    assert "broker down" in caplog.text
