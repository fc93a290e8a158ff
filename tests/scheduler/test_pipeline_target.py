"""PipelineTarget: a trigger that starts a pipeline run instead of publishing an event."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta

import pytest

from rfs.pipeline import MemoryIOManager, MemoryRunStore, TaskRegistry
from rfs.scheduler import FakeClock, PipelineTarget, Scheduler, create_cron_trigger

from .conftest import START, RecordingPublisher


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
    """A run that ends in Failure is counted as a failure and logged against the trigger in
    one line without a traceback (an expected outcome)."""
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
    [record] = [r for r in caplog.records if r.name == "rfs.scheduler"]
    assert record.exc_info is None and "task exploded" in record.getMessage()


def test_pipeline_target_needs_a_selection() -> None:
    """PipelineTarget without tags or targets is a configuration error."""
    with pytest.raises(ValueError, match="tags"):
        PipelineTarget()


async def test_overlapping_run_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    """A fire while the previous run still goes is logged as one line and skipped
    (max_running=1; ``run_wait=0``: the clock does not wait for the run)."""
    clock = FakeClock(START, run_wait=0)
    registry = TaskRegistry()
    release = asyncio.Event()
    started: list[int] = []

    @registry.task(name="slow", tags=["slow"])
    async def slow() -> None:
        started.append(1)
        await release.wait()

    scheduler = await running_scheduler(clock, registry, "slow", "hourly", "0 * * * *")
    with caplog.at_level(logging.WARNING, logger="rfs.scheduler"):
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
    [refusal] = [r for r in caplog.records if "still going" in r.getMessage()]
    assert refusal.levelno == logging.WARNING and refusal.exc_info is None  # one line
    assert "max_running=1; raise it" in refusal.getMessage()
    info = scheduler.list()[0]
    assert info.fires == 1 and info.failures == 1


async def test_advance_over_two_daily_fires_waits_for_each_run(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """``advance(days=2)`` over two nightly fires runs both: the clock waits for the first
    run (real time, a thread) to finish before the second fire, so nothing is refused."""
    registry = TaskRegistry()
    runs: list[int] = []
    gate = threading.Event()

    @registry.task(name="extract", tags=["etl"])
    def extract() -> int:
        gate.wait(0.2)  # real time the fake clock cannot skip
        runs.append(len(runs) + 1)
        return len(runs)

    scheduler = await running_scheduler(clock, registry, "etl", "nightly", "0 3 * * *")
    with caplog.at_level(logging.WARNING, logger="rfs.scheduler"):
        await clock.advance(timedelta(days=2))
    await scheduler.stop()
    assert runs == [1, 2]
    info = scheduler.list()[0]
    assert info.fires == 2 and info.failures == 0
    assert "still going" not in caplog.text
