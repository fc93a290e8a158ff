"""What the ops API reads from: the stores, hooks, and acknowledgements, plus 503 mapping."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from rfs.pipeline.registry import TaskRegistry, get_registry
from rfs.pipeline.store import Acknowledgements, RunRecord, RunStore
from rfs.result import Failure, Result, Success
from rfs.saga.store import SagaStore
from rfs.web.errors import APIError

__all__ = ["OpsState", "guarded"]

T = TypeVar("T")
_log = logging.getLogger("rfs.web")

#: re-runs or resumes a run: ``(run, resume)``; returns the new run's id
RunStarter = Callable[[RunRecord, bool], Awaitable[str]]
#: the current dead letters, newest first, as JSON-ready dicts
DeadLetterSource = Callable[[], Awaitable[list[dict[str, Any]]]]


async def guarded(call: Awaitable[T], what: str) -> Result[T, APIError]:
    """``await call``; a store that raises (database down, connection lost) becomes a 503."""
    try:
        return Success(await call)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a driver's own exception types: the store is unavailable
        _log.warning("ops API: %s failed: %s: %s", what, type(exc).__name__, exc)
        return Failure(APIError.unavailable(f"the {what} is unavailable"))


@dataclass
class OpsState:
    """The subsystems an ops router serves; any of them may be absent (``None``)."""

    run_store: RunStore | None = None
    saga_store: SagaStore | None = None
    scheduler: Any = None  # rfs.scheduler.Scheduler
    dead_letters: DeadLetterSource | None = None
    start_run: RunStarter | None = None
    registry: TaskRegistry = field(default_factory=get_registry)
    alerts: Any = None  # rfs.monitoring AlertManager (default: the process-wide one)
    io_manager: Any = None  # rfs.pipeline IOManager used by the default re-run/resume
    #: acknowledgements when the run store cannot keep them (a store without ``acknowledge``)
    local_acks: set[str] = field(default_factory=set)
    #: trigger name -> when its misfires were last acknowledged (the scheduler's misfire
    #: counters live in its process too, so these go with them)
    misfire_acks: dict[str, datetime] = field(default_factory=dict)
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    async def acknowledge(self, run_id: str, note: str | None) -> Result[None, APIError]:
        """Record that a person dealt with ``run_id``: in the run store when it keeps
        acknowledgements (durable, shared by every server on that database), else here."""
        if isinstance(self.run_store, Acknowledgements):
            return await guarded(self.run_store.acknowledge(run_id, note, time.time()), "run store")
        self.local_acks.add(run_id)
        return Success(None)

    async def acknowledged(self, run_ids: list[str]) -> Result[set[str], APIError]:
        """Which of ``run_ids`` have been acknowledged."""
        if isinstance(self.run_store, Acknowledgements):
            return await guarded(self.run_store.acknowledged(run_ids), "run store")
        return Success(self.local_acks.intersection(run_ids))

    def misfires(self) -> list[dict[str, Any]]:
        """Triggers that misfired since their misfires were last acknowledged."""
        if self.scheduler is None:
            return []
        return [
            info.to_dict()
            for info in self.scheduler.list()
            if info.last_misfire_time is not None
            and (
                info.name not in self.misfire_acks
                or self.misfire_acks[info.name] < info.last_misfire_time
            )
        ]

    def edges(self, run: RunRecord) -> list[tuple[str, str]]:
        """``(upstream, task)`` pairs of the run's tasks known to the task registry."""
        names = {t.task_name for t in run.tasks}
        pairs: list[tuple[str, str]] = []
        for name in names:
            info = self.registry.find(name)
            for dep in info.dependencies if info is not None else ():
                if dep in names:
                    pairs.append((dep, name))
        return sorted(pairs)

    async def default_start(self, run: RunRecord, resume: bool) -> str:
        """Re-run (new id) or resume (same id) ``run`` from the task registry, in the background."""
        from rfs.pipeline.runner import new_run_id, run_pipeline

        run_id = run.run_id if resume else new_run_id()
        task = asyncio.create_task(
            run_pipeline(
                tasks=[t.task_name for t in run.tasks],
                registry=self.registry,
                io_manager=self.io_manager,
                run_store=self.run_store,
                resume=run_id if resume else None,
                run_id=None if resume else run_id,
                spec=run.spec,
            )
        )
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return run_id
