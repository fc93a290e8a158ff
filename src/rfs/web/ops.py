"""``ops_router(...)``: the JSON operations API over runs, sagas, triggers, dead letters, caches.

Mutating endpoints need the bearer ``token`` (checked by a dependency, before any body is
read); read endpoints need ``read_token`` or ``token``, or nothing with ``open_reads=True``.
Unknown ids answer a 404 problem, an unavailable store a 503 problem.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from rfs.pipeline.store import RunState
from rfs.pipeline.store.acks import MISFIRE, RUN
from rfs.result import Failure, Result, Success
from rfs.saga.records import SagaStatus
from rfs.web.attention import ATTENTION_SCAN, attention_body, misfire_view
from rfs.web.auth import bearer_guard
from rfs.web.body import read_body
from rfs.web.errors import APIError
from rfs.web.handle import handle_result
from rfs.web.ops_state import DeadLetterSource, OpsState, RunStarter, absent, guarded
from rfs.web.views import attempt_view, execution_view, run_view, task_view

__all__ = ["ops_router"]

Json = dict[str, Any]


def ops_router(
    *,
    token: str | None,
    run_store: Any = None,
    saga_store: Any = None,
    scheduler: Any = None,
    dead_letters: DeadLetterSource | None = None,
    start_run: RunStarter | None = None,
    read_token: str | None = None,
    open_reads: bool = False,
    state: OpsState | None = None,
    max_body_size: int = 16_384,
    monitoring: bool = False,
) -> APIRouter:
    """The ops API, to include with a prefix (``app.include_router(router, prefix="/ops")``).

    ``token`` (at least 8 characters, or ``None`` to leave mutations open: tests only)
    guards mutations; ``start_run(run, resume)`` re-runs/resumes a run (default: from the
    task registry, in this process); ``dead_letters()`` lists dead letters. A request body
    (an acknowledgement's ``{"note": ...}``) over ``max_body_size`` bytes answers 413.
    ``monitoring=True`` adds :func:`rfs.web.monitoring_api.monitoring_router` (alerts from
    ``state.alerts``, else the process-wide alert manager, on the attention screen).
    """
    if token is not None and len(token) < 8:
        raise ValueError("the ops token must be at least 8 characters")
    st = state or OpsState(run_store, saga_store, scheduler, dead_letters, start_run)
    write = Depends(bearer_guard(token))
    read = Depends(bearer_guard() if open_reads else bearer_guard(token, read_token))

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        yield
        await st.close()  # the acknowledgement store's connections

    router = APIRouter(tags=["ops"], lifespan=lifespan)

    def alert_manager() -> Any:
        from rfs.monitoring.alerts import get_alert_manager

        return st.alerts if st.alerts is not None else get_alert_manager()

    async def note_of(request: Request) -> Result[str | None, APIError]:
        body = await read_body(request, max_body_size)
        return body.map(lambda v: v.get("note") if isinstance(v, dict) else None).map(
            lambda note: note if isinstance(note, str) else None
        )

    @router.get("/runs", dependencies=[read])
    @handle_result
    async def list_runs(
        limit: int = Query(50, ge=1, le=500), state: RunState | None = None
    ) -> Result[list[Json], APIError]:
        """The latest runs first; ``state`` filters them."""
        found = await st.runs(limit if state is None else ATTENTION_SCAN)
        if isinstance(found, Failure):
            return found
        runs = [r for r in found.value if state is None or r.state is state][:limit]
        acked = await st.run_acks(runs)
        return acked.map(lambda ids: [run_view(r, acknowledged=r.run_id in ids) for r in runs])

    @router.get("/runs/{run_id}", dependencies=[read])
    @handle_result
    async def get_run(run_id: str) -> Result[Json, APIError]:
        """One run with its tasks, their attempts and the DAG's edges."""
        found = await st.run(run_id)
        if isinstance(found, Failure):
            return found
        run = found.value
        attempts = await guarded(st.run_store.list_attempts(run_id), "run store")  # type: ignore[union-attr]
        acked = await st.run_acks([run])
        if isinstance(acked, Failure):
            return acked
        return attempts.map(
            lambda rows: {
                **run_view(run, acknowledged=run.run_id in acked.value),
                "tasks": [task_view(t) for t in run.tasks],
                "attempts": [attempt_view(a) for a in rows],
                "edges": [list(e) for e in st.edges(run)],
            }
        )

    @router.post("/runs/{run_id}/ack", dependencies=[write])
    @handle_result
    async def acknowledge(run_id: str, request: Request) -> Result[Json, APIError]:
        """Mark a failed run as dealt with: it leaves the "needs attention" list (durably)."""
        note = await note_of(request)
        if isinstance(note, Failure):
            return note
        found = await st.run(run_id)
        if isinstance(found, Failure):
            return found
        ack = await st.acknowledge(RUN, run_id, note.value)
        return ack.map(
            lambda a: {**run_view(found.value, acknowledged=True), "note": a.note, "at": a.at}
        )

    async def start(run_id: str, resume: bool) -> Result[Json, APIError]:
        found = await st.run(run_id)
        if isinstance(found, Failure):
            return found
        if resume and found.value.state is RunState.RUNNING:
            return Failure(APIError.conflict(f"run {run_id} is still running"))
        acked = await st.acknowledge(RUN, run_id, "resumed" if resume else "re-run")
        if isinstance(acked, Failure):
            return acked
        starter = st.start_run or st.default_start
        new_id = await starter(found.value, resume)
        return Success({"id": new_id, "resumed": resume})

    @router.post("/runs/{run_id}/resume", status_code=202, dependencies=[write])
    @handle_result
    async def resume_run(run_id: str) -> Result[Json, APIError]:
        """Resume a run: only its tasks that did not finish run again."""
        return await start(run_id, True)

    @router.post("/runs/{run_id}/rerun", status_code=202, dependencies=[write])
    @handle_result
    async def rerun(run_id: str) -> Result[Json, APIError]:
        """Run the same tasks again as a new run."""
        return await start(run_id, False)

    @router.get("/sagas", dependencies=[read])
    @handle_result
    async def list_sagas(
        limit: int = Query(50, ge=1, le=500), status: SagaStatus | None = None
    ) -> Result[list[Json], APIError]:
        """Saga executions, newest first."""
        found = await st.sagas(status, limit)
        return found.map(lambda rows: [execution_view(r) for r in rows])

    @router.get("/sagas/{execution_id}", dependencies=[read])
    @handle_result
    async def get_saga(execution_id: str) -> Result[Json, APIError]:
        """One execution with its log (the timeline)."""
        if st.saga_store is None:
            return absent("saga log")
        found = await guarded(st.saga_store.load(execution_id), "saga log")
        if isinstance(found, Success) and found.value is None:
            return Failure(APIError.not_found("saga execution", execution_id))
        return found.map(lambda r: execution_view(r, with_log=True) if r else {})

    @router.post("/sagas/recover", dependencies=[write])
    @handle_result
    async def recover() -> Result[Json, APIError]:
        """One recovery pass over interrupted executions."""
        from rfs.saga.recovery import recover as recover_pass

        if st.saga_store is None:
            return absent("saga log")
        report = await guarded(recover_pass(st.saga_store), "saga log")
        if isinstance(report, Failure):
            return report
        if isinstance(report.value, Failure):
            return Failure(APIError.unavailable("the saga log is unavailable"))
        done = report.value.value
        return Success(
            {"completed": done.completed, "compensated": done.compensated, "failed": done.failed,
             "unknown": done.unknown, "busy": done.busy}
        )  # fmt: skip

    @router.get("/triggers", dependencies=[read])
    @handle_result
    async def triggers() -> Result[list[Json], APIError]:
        """Scheduler triggers with their next fire times."""
        if st.scheduler is None:
            return absent("scheduler")
        return Success([info.to_dict() for info in st.scheduler.list()])

    @router.post("/triggers/{name}/misfires/ack", dependencies=[write])
    @handle_result
    async def acknowledge_misfires(name: str, request: Request) -> Result[Json, APIError]:
        """Mark a trigger's misfires so far as dealt with (a later misfire shows again)."""
        note = await note_of(request)
        if isinstance(note, Failure):
            return note
        if st.scheduler is None:
            return absent("scheduler")
        info = st.scheduler.get(name)
        if info is None:
            return Failure(APIError.not_found("trigger", name))
        ack = await st.acknowledge(MISFIRE, name, note.value)
        return ack.map(lambda a: {**misfire_view(info), "note": a.note, "at": a.at})

    @router.get("/dead-letters", dependencies=[read])
    @handle_result
    async def list_dead_letters() -> Result[list[Json], APIError]:
        """Messages that exhausted their deliveries."""
        if st.dead_letters is None:
            return Success([])
        return await guarded(st.dead_letters(), "dead-letter source")

    @router.get("/cache/stats", dependencies=[read])
    @handle_result
    async def cache_stats() -> Result[Json, APIError]:
        """Hits, misses and sizes of every cache in this process."""
        from rfs.cache.stats import cache_stats as stats

        return Success(stats())

    @router.get("/attention", dependencies=[read])
    @handle_result
    async def attention() -> Result[Json, APIError]:
        """What needs a person: unacknowledged failed runs and misfires, stuck or failed
        sagas, dead letters, failing triggers, alerts firing."""
        return await attention_body(st, alert_manager().active_alerts() if monitoring else [])

    if monitoring:
        from rfs.web.monitoring_api import monitoring_router

        router.include_router(
            monitoring_router(
                token=token, read_token=read_token, open_reads=open_reads, alerts=alert_manager(),
                max_body_size=max_body_size,
            )
        )  # fmt: skip
    if st.scheduler is not None:
        from rfs.scheduler.api import create_router

        router.include_router(create_router(st.scheduler, token=token), prefix="/scheduler")
    return router
