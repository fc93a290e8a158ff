"""Subsystems report through the hook only while monitoring is on; events carry the id."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rfs.events import Event, InMemoryBroker, InMemoryConsumer, InMemoryPublisher
from rfs.monitoring import (
    ResultMetricsCollector,
    correlation_scope,
    current_correlation_id,
    disable_monitoring,
    enable_monitoring,
    hook,
)
from rfs.monitoring.prometheus import PrometheusExporter, metrics_text
from rfs.pipeline import MemoryIOManager, MemoryRunStore, Planner, TaskRegistry, run_pipeline
from rfs.result import Failure, Success
from rfs.saga import Saga


@pytest.fixture
def collector() -> Iterator[ResultMetricsCollector]:
    c = enable_monitoring(ResultMetricsCollector())
    yield c
    disable_monitoring()


def test_hook_is_none_when_off() -> None:
    """With monitoring off the slot is None (subsystems pay one comparison)."""
    disable_monitoring()
    assert hook.monitor is None


async def test_pipeline_reports_tasks_and_run(collector: ResultMetricsCollector) -> None:
    """Each task attempt and the run are observed, failures counted as failures."""
    registry = TaskRegistry()

    @registry.task
    def ok() -> int:
        return 1

    @registry.task(fail_safe=True)
    def broken() -> int:
        raise ValueError("bad row")

    plan = Planner(registry).create_execution_plan()
    await run_pipeline(plan, io_manager=MemoryIOManager(), run_store=MemoryRunStore())
    assert collector.snapshot("pipeline.task.ok").unwrap().successful_requests == 1
    assert collector.snapshot("pipeline.task.broken").unwrap().failed_requests == 1
    assert collector.snapshot("pipeline.run").unwrap().total_requests == 1
    assert collector.subsystem_of("pipeline.task.ok") == "pipeline"


async def test_saga_reports_steps_and_compensations(collector: ResultMetricsCollector) -> None:
    """Saga steps and compensations are observed with their outcome."""
    saga = Saga("MonOrder")
    saga.add_step("reserve", lambda c: Success(c), compensate=lambda c: Success(None))
    saga.add_step("charge", lambda c: Failure("declined"))
    assert isinstance(await saga.execute({"n": 1}), Failure)
    assert collector.snapshot("saga.MonOrder.reserve").unwrap().successful_requests == 1
    assert collector.snapshot("saga.MonOrder.charge").unwrap().error_breakdown == {"str": 1}
    assert collector.snapshot("saga.MonOrder.reserve.compensate").unwrap().total_requests == 1


async def test_event_carries_correlation_id_to_the_handler(
    collector: ResultMetricsCollector,
) -> None:
    """An event made under a correlation id carries it; its handler runs under it."""
    broker = InMemoryBroker()
    sub = InMemoryConsumer(broker).consume("mon.*")
    with correlation_scope("req-42"):
        event = Event("mon.x", {"a": 1})
        await InMemoryPublisher(broker).publish("mon.x", event)
    assert event.correlation_id == "req-42"
    seen: list[str | None] = []

    async def handler(e: Event) -> None:
        seen.append(current_correlation_id())
        await sub.close()

    await asyncio.wait_for(sub.run(handler), 5)
    assert seen == ["req-42"] and current_correlation_id() is None
    assert collector.snapshot("events.consume").unwrap().total_requests == 1


def test_cache_hits_and_misses_in_prometheus_text() -> None:
    """Cache counters of cached functions appear in the /metrics text."""
    from rfs.cache import cached

    @cached(ttl=60)
    def square(n: int) -> int:
        return n * n

    square(3)
    square(3)
    text = metrics_text(PrometheusExporter(ResultMetricsCollector()).register()).decode()
    hits = {
        s.labels["function"]: s.value
        for f in text_string_to_metric_families(text)
        if f.name == "rfs_cache_hits"
        for s in f.samples
    }
    name = next(k for k in hits if k.endswith("square"))
    assert hits[name] >= 1


async def test_scheduler_fire_carries_its_id_into_the_event(
    collector: ResultMetricsCollector,
) -> None:
    """A fire runs under its fire id: the published event carries it; the fire is observed."""
    from rfs.scheduler import Scheduler, create_manual_trigger

    broker = InMemoryBroker()
    seen = InMemoryConsumer(broker).consume("mon.fire")
    scheduler = Scheduler(InMemoryPublisher(broker))
    trigger = create_manual_trigger(event_factory=lambda payload: Event("mon.fire", {"p": payload}))
    await scheduler.register_trigger("mon_manual", trigger, "mon.fire")
    context = (await scheduler.fire("mon_manual", 1)).unwrap()
    event = await asyncio.wait_for(seen.__anext__(), 5)
    await seen.close()
    assert event.correlation_id == context.fire_id
    assert collector.snapshot("scheduler.fire.mon_manual").unwrap().successful_requests == 1
