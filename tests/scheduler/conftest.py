"""Fixtures for scheduler tests: a fake clock, an in-memory bus and a recording publisher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from rfs.result import Result, Success
from rfs.scheduler import FakeClock, Scheduler

START = datetime(2026, 3, 1, tzinfo=UTC)


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
