"""What the ops API reads from: the stores, hooks, and acknowledgements, plus 503 mapping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rfs.pipeline.registry import TaskRegistry, get_registry
from rfs.pipeline.store import RunRecord, RunState, RunStore
from rfs.pipeline.store.acks import RUN, Acknowledgement, AckStore, ack_store_for
from rfs.result import Failure, Result, Success
from rfs.saga.records import ExecutionRecord
from rfs.saga.store import SagaStore
from rfs.web.errors import APIError, ErrorCode

__all__ = ["OpsState", "absent", "guarded"]

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


def absent(what: str) -> Failure[APIError]:
    """The 501 problem of an endpoint whose subsystem this server was not given."""
    return Failure(APIError(ErrorCode.UNAVAILABLE, f"no {what} is configured", status=501))


@dataclass
class OpsState:
    """The subsystems an ops router serves; any of them may be absent (``None``).

    ``acks`` keeps acknowledgements; by default the store beside ``run_store``
    (:func:`rfs.pipeline.store.acks.ack_store_for`: a table in a SQL run store's database).
    """

    run_store: RunStore | None = None
    saga_store: SagaStore | None = None
    scheduler: Any = None  # rfs.scheduler.Scheduler
    dead_letters: DeadLetterSource | None = None
    start_run: RunStarter | None = None
    registry: TaskRegistry = field(default_factory=get_registry)
    alerts: Any = None  # rfs.monitoring AlertManager (default: the process-wide one)
    io_manager: Any = None  # rfs.pipeline IOManager used by the default re-run/resume
    acks: AckStore | None = None
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def ack_store(self) -> AckStore:
        """``acks``, made beside the run store on first use."""
        if self.acks is None:
            self.acks = ack_store_for(self.run_store)
        return self.acks

    async def run_acks(self, runs: list[RunRecord]) -> Result[set[str], APIError]:
        """The ids of the failed ``runs`` whose acknowledgement covers their latest finish
        (only failed runs are looked up: the others need no acknowledgement)."""
        ids = [r.run_id for r in runs if r.state is RunState.FAILED]
        if not ids:
            return Success(set())
        found = await guarded(self.ack_store().find(RUN, ids), "acknowledgement store")
        return found.map(lambda acks: {r.run_id for r in runs if _covered(acks, r)})

    async def acknowledge(
        self, kind: str, item_id: str, note: str | None = None
    ) -> Result[Acknowledgement, APIError]:
        """Record an acknowledgement durably (503 when its store is down)."""
        return await guarded(
            self.ack_store().acknowledge(kind, item_id, note), "acknowledgement store"
        )

    async def close(self) -> None:
        """Release the acknowledgement store's connections."""
        if self.acks is not None:
            await self.acks.close()

    async def runs(self, limit: int) -> Result[list[RunRecord], APIError]:
        """The latest ``limit`` runs (501 without a run store, 503 when it is down)."""
        if self.run_store is None:
            return absent("run store")
        return await guarded(self.run_store.list_runs(limit), "run store")

    async def run(self, run_id: str) -> Result[RunRecord, APIError]:
        """One run with its tasks; 404 when unknown."""
        if self.run_store is None:
            return absent("run store")
        found = await guarded(self.run_store.get_run(run_id), "run store")
        if isinstance(found, Failure):
            return found
        if found.value is None:
            return Failure(APIError.not_found("run", run_id))
        return Success(found.value)

    async def sagas(self, statuses: Any, limit: int) -> Result[list[ExecutionRecord], APIError]:
        """Saga executions, newest first, in ``statuses`` (all when ``None``)."""
        if self.saga_store is None:
            return absent("saga log")
        return await guarded(self.saga_store.list(status=statuses, limit=limit), "saga log")

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


def _covered(acks: dict[str, Acknowledgement], run: RunRecord) -> bool:
    ack = acks.get(run.run_id)
    return ack is not None and ack.covers(run.finished_at or run.started_at)
