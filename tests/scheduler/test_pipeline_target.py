"""PipelineTarget: a trigger that starts a pipeline run instead of publishing an event."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from rfs.pipeline import MemoryIOManager, MemoryRunStore, TaskRegistry
from rfs.scheduler import FakeClock, PipelineTarget, Scheduler, create_cron_trigger

from .conftest import RecordingPublisher


async def running_scheduler(
    clock: FakeClock, registry: TaskRegistry, tag: str, name: str, cron: str
) -> Scheduler:
    """A started scheduler whose cron trigger ``name`` runs the tasks tagged ``tag`` in memory."""
    target = PipelineTarget(
        tags=[tag], registry=registry, io_manager=MemoryIOManager(), run_store=MemoryRunStore()
    )
    scheduler = Scheduler(RecordingPublisher(clock), clock=clock)
    await scheduler.register_trigger(name, create_cron_trigger(cron), target=target)
    await scheduler.start()
    return scheduler


async def test_cron_fire_runs_the_tagged_pipeline(clock: FakeClock) -> None:
    """Each nightly fire runs the tasks tagged 'etl' once, in dependency order."""
    registry = TaskRegistry()
    calls: list[str] = []

    @registry.task(name="extract", tags=["etl"])
    def extract() -> list[int]:
        calls.append("extract")
        return [1, 2, 3]

    @registry.task(name="load", tags=["etl"], dependencies=["extract"])
    async def load(extract: list[int]) -> int:
        calls.append("load")
        return sum(extract)

    store = MemoryRunStore()
    target = PipelineTarget(
        tags=["etl"], registry=registry, io_manager=MemoryIOManager(), run_store=store
    )
    publisher = RecordingPublisher(clock)
    scheduler = Scheduler(publisher, clock=clock)
    await scheduler.register_trigger("nightly", create_cron_trigger("0 3 * * *"), target=target)
    await scheduler.start()
    await clock.advance(timedelta(days=1))
    await scheduler.drain()
    await clock.advance(timedelta(days=1))
    await scheduler.stop()  # waits for the background runs
    assert calls == ["extract", "load", "extract", "load"]
    assert publisher.published == []
    info = scheduler.list()[0]
    assert info.fires == 2 and info.failures == 0


async def test_failed_run_is_logged(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    """A run that ends in Failure is logged against the trigger and counted as a failure."""
    registry = TaskRegistry()

    @registry.task(name="boom", tags=["bad"])
    def boom() -> None:
        raise RuntimeError("task exploded")

    scheduler = await running_scheduler(clock, registry, "bad", "bad", "0 3 * * *")
    with caplog.at_level(logging.ERROR, logger="rfs.scheduler"):
        await clock.advance(timedelta(days=1))
        await scheduler.stop()
    assert scheduler.list()[0].failures == 1
    assert "'bad'" in caplog.text


def test_pipeline_target_needs_a_selection() -> None:
    """PipelineTarget without tags or targets is a configuration error."""
    with pytest.raises(ValueError, match="tags"):
        PipelineTarget()


async def test_overlapping_run_is_refused(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A fire while the previous run still goes is logged and skipped (max_running=1)."""
    registry = TaskRegistry()
    release = asyncio.Event()
    started: list[int] = []

    @registry.task(name="slow", tags=["slow"])
    async def slow() -> None:
        started.append(1)
        await release.wait()

    scheduler = await running_scheduler(clock, registry, "slow", "hourly", "0 * * * *")
    with caplog.at_level(logging.ERROR, logger="rfs.scheduler"):
        await clock.advance(timedelta(hours=1))
        for _ in range(200):
            if started:
                break
            await asyncio.sleep(0.01)
        await clock.advance(timedelta(hours=1))
        await asyncio.sleep(0.05)
    release.set()
    await scheduler.stop()
    assert started == [1]
    assert "still going" in caplog.text
    info = scheduler.list()[0]
    assert info.fires == 1 and info.failures == 1
