"""Real records for the ops API and dashboard tests: a failed pipeline run and saga executions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rfs.pipeline.io.memory import MemoryIOManager
from rfs.pipeline.registry import TaskRegistry
from rfs.pipeline.runner import run_pipeline
from rfs.pipeline.store import MemoryRunStore
from rfs.saga.records import EventKind, LogEvent, SagaStatus
from rfs.saga.store import MemorySagaLog
from rfs.web.ops_state import OpsState

TOKEN = "test-token-0123456789"


@dataclass
class World:
    """Stores filled by a real run and saga log writes; ``broken`` makes task ``b`` fail."""

    state: OpsState
    failed_run: str = ""
    failed_saga: str = "exec-failed"
    broken: dict[str, bool] = field(default_factory=lambda: {"b": True})


async def build_world() -> World:
    registry = TaskRegistry()
    store = MemoryRunStore()
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
