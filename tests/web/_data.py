"""Real records for the ops API and dashboard tests: a failed pipeline run, saga executions,
and a scheduler whose trigger misfired (it was "down" for five hours)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rfs.pipeline.io.memory import MemoryIOManager
from rfs.pipeline.registry import TaskRegistry
from rfs.pipeline.runner import run_pipeline
from rfs.pipeline.store import MemoryRunStore, RunStore
from rfs.result import Result, Success
from rfs.saga.records import EventKind, LogEvent, SagaStatus
from rfs.saga.store import MemorySagaLog
from rfs.scheduler import FakeClock, MemoryStateStore, Scheduler, TriggerState, create_cron_trigger
from rfs.web.ops_state import OpsState

TOKEN = "test-token-0123456789"


@dataclass
class World:
    """Stores filled by a real run and saga log writes; ``broken`` makes task ``b`` fail."""

    state: OpsState
    failed_run: str = ""
    failed_saga: str = "exec-failed"
    broken: dict[str, bool] = field(default_factory=lambda: {"b": True})


async def build_world(store: RunStore | None = None) -> World:
    """A world over ``store`` (a memory run store by default) with one failed run in it."""
    registry = TaskRegistry()
    store = store or MemoryRunStore()
    io = MemoryIOManager()
    world = World(OpsState(run_store=store, saga_store=MemorySagaLog(), registry=registry))
    world.state.io_manager = io

    @registry.task
    def extract() -> int:
        return 1

    @registry.task(dependencies=["extract"], max_retries=0)
    def transform(extract: int) -> int:
        if world.broken["b"]:
            raise RuntimeError("transform broke: bad row 7")
        return extract + 1

    @registry.task(dependencies=["transform"])
    def load(transform: int) -> int:
        return transform

    outcome = await run_pipeline(
        registry=registry, tasks=registry.names(), run_store=store, io_manager=io
    )
    world.failed_run = outcome.error.run_id
    log = world.state.saga_store
    if log is None:
        raise RuntimeError("this test world's ops state has no saga store")
    now = time.time()
    started = [LogEvent(EventKind.SAGA_STARTED, at=now - 3)]
    await log.start(world.failed_saga, "order", {"id": 1}, "me", now + 60, started)
    await log.append(
        world.failed_saga,
        "me",
        [
            LogEvent(
                EventKind.STEP_FAILED, step="charge", index=1, at=now - 2, detail="card declined"
            )
        ],
        lease_until=now + 60,
        status=SagaStatus.FAILED,
        error="refund failed",
    )
    return world


MISFIRED = "hourly-export"


class Discard:
    """A publisher that accepts every event."""

    async def publish(self, topic: str, event: Any) -> Result[None, Any]:
        return Success(None)


async def misfired_scheduler() -> tuple[Scheduler, FakeClock]:
    """A started scheduler (fake clock at real now) whose hourly trigger was last handled five
    hours ago: its first turn finds the missed fire times, a misfire (policy ``skip``)."""
    clock = FakeClock(datetime.now(UTC))
    store = MemoryStateStore()
    await store.save([TriggerState(MISFIRED, cursor=clock.now() - timedelta(hours=5))], 0)
    scheduler = Scheduler(Discard(), clock=clock, store=store)
    trigger = create_cron_trigger("0 * * * *", misfire_policy="skip", misfire_grace_time=60)
    await scheduler.register_trigger(MISFIRED, trigger, "exports")
    await scheduler.start()
    await clock.settle()
    return scheduler, clock


async def misfire_again(scheduler: Scheduler, clock: FakeClock) -> None:
    """Stop the scheduler, stay down five more hours, start again: a new misfire."""
    await scheduler.stop()
    await clock.advance(timedelta(hours=5))
    await scheduler.start()
    await clock.settle()


async def drop_store_tables(url: str, prefix: str) -> None:
    """Drop the run store's and the acknowledgement store's tables under ``prefix``."""
    from rfs.pipeline.store import SqlRunStore
    from rfs.pipeline.store.acks import SqlAckStore

    runs, acks = SqlRunStore(url, table_prefix=prefix), SqlAckStore(url, table_prefix=prefix)
    await acks.drop_table()
    await runs.drop_tables()
    await acks.close()
    await runs.close()
