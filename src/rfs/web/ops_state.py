"""What the ops API reads from: the stores, hooks, and acknowledgements, plus 503 mapping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rfs.pipeline.registry import TaskRegistry, get_registry
from rfs.pipeline.store import RunRecord, RunStore
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
    acknowledged: set[str] = field(default_factory=set)
    background: set[asyncio.Task[Any]] = field(default_factory=set)

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
