"""The nightly report: a pipeline task reading the order store, started by a cron trigger."""

from __future__ import annotations

from examples.orders_service.ports import OrderStore
from rfs.di import Registry
from rfs.pipeline import MemoryIOManager, MemoryRunStore, TaskRegistry
from rfs.scheduler import Clock, PipelineTarget, Scheduler, create_cron_trigger


def report_pipeline(registry: Registry, totals: list[int]) -> TaskRegistry:
    """One task: the day's total, read through the port inside the registry's scope."""
    tasks = TaskRegistry()

    @tasks.task(name="orders_total", tags=["nightly"])
    async def orders_total() -> int:
        async with registry.request_scope():
            total = (await registry.resolve(OrderStore).total_cents()).unwrap()
        totals.append(total)
        return total

    return tasks


async def nightly_scheduler(registry: Registry, clock: Clock, totals: list[int]) -> Scheduler:
    """A started scheduler whose 02:00 trigger runs the report pipeline."""
    target = PipelineTarget(
        tags=["nightly"],
        registry=report_pipeline(registry, totals),
        io_manager=MemoryIOManager(),
        run_store=MemoryRunStore(),
    )
    scheduler = Scheduler(clock=clock)
    await scheduler.register_trigger(
        "nightly_report", create_cron_trigger("0 2 * * *"), target=target
    )
    await scheduler.start()
    return scheduler
