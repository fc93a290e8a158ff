"""Fixtures for scheduler tests: a fake clock, a recording publisher, a real-time poll."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from rfs.result import Result, Success
from rfs.scheduler import FakeClock, Scheduler

START = datetime(2026, 3, 1, tzinfo=UTC)


async def until(condition: Callable[[], bool], *, within: float = 30.0) -> None:
    """Poll ``condition()`` in real time until it holds; fail after ``within`` seconds.

    For state another task or server changes (a lease, a Redis key) that no event announces.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for _ in itertools.count():
        if condition():
            return
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.005)
    raise AssertionError(f"condition not reached within {within} s")


class RecordingPublisher:
    """A publisher that keeps (topic, event, time) for each publish."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock
        self.published: list[tuple[str, Any, datetime | None]] = []

    async def publish(self, topic: str, event: Any) -> Result[None, Exception]:
        self.published.append((topic, event, self.clock.now() if self.clock else None))
        return Success(None)

    def times(self, topic: str | None = None) -> list[datetime | None]:
        return [t for top, _, t in self.published if topic is None or top == topic]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def publisher(clock: FakeClock) -> RecordingPublisher:
    return RecordingPublisher(clock)


@pytest.fixture
async def scheduler(publisher: RecordingPublisher, clock: FakeClock) -> AsyncIterator[Scheduler]:
    sched = Scheduler(publisher, clock=clock)
    yield sched
    await sched.stop()
