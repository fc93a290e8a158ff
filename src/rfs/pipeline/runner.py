"""Running a pipeline: ``run_pipeline`` checks the plan and params, starts or resumes a run."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import rfs.pipeline.events as ev
from rfs.monitoring import hook
from rfs.monitoring.context import correlation_scope, current_correlation_id
from rfs.pipeline.driver import RunDriver, outputs_present
from rfs.pipeline.executors.base import Executor
from rfs.pipeline.io.base import IOManager, check_name
from rfs.pipeline.planner import ExecutionPlan, PlanError, Planner
from rfs.pipeline.registry import TaskRegistry
from rfs.pipeline.results import RunError, RunResult
from rfs.pipeline.store.base import RunRecord, RunState, RunStore, TaskRecord, TaskState
from rfs.result import Failure, Result, Success

__all__ = ["check_params", "new_run_id", "run_pipeline"]


def new_run_id() -> str:
    """A sortable, unique run id: ``20250115T093000-1a2b3c4d``."""
    now = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{now}-{uuid.uuid4().hex[:8]}"


def check_params(plan: ExecutionPlan, params: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`PlanError` listing every task parameter of ``plan`` that has no value
    (no default, no upstream task of that name, nothing in ``params``) and every entry of
    ``params`` that names an unknown task or parameter. ``run_pipeline`` calls it before a
    run starts; ``rfs plan`` and ``rfs run`` call it to refuse the same things."""
    problems = []
    for name in plan.execution_order:
        info = plan.dag.nodes[name]
        given = params.get(name, {})
        fed = plan.dag.data_inputs[name]
        for param, has_default in info.parameters.items():
            if not has_default and param not in fed and param not in given:
                problems.append(
                    f"task {name!r} parameter {param!r} has no default, is not named after an "
                    f"upstream task and is not given in params={{{name!r}: {{{param!r}: ...}}}}"
                )
        for param in given:
            if param not in info.parameters:
                problems.append(f"params for task {name!r} name unknown parameter {param!r}")
    unknown = sorted(set(params) - set(plan.execution_order))
    problems += [f"params name {name!r}, which is not in the plan" for name in unknown]
    if problems:
        raise PlanError(problems)


def _make_executor(executor: Executor | str | None) -> tuple[Executor, bool]:
    if executor is None or isinstance(executor, str):
        from rfs.pipeline.executors import get_executor

        return get_executor(executor or "local"), True
    return executor, False


async def run_pipeline(
    plan: ExecutionPlan | None = None,
    *,
    tags: Iterable[str] | None = None,
    tasks: Iterable[str] | None = None,
    targets: Iterable[str] | None = None,
    registry: TaskRegistry | None = None,
    executor: Executor | str | None = None,
    io_manager: IOManager | None = None,
    run_store: RunStore | None = None,
    max_concurrency: int | None = None,
    resume: str | None = None,
    run_id: str | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    publisher: ev.EventPublisher | None = None,
    spec: Mapping[str, Any] | None = None,
) -> Result[RunResult, RunError]:
    """Run a plan (or the tasks selected by ``tags``/``tasks``/``targets``) to the end.

    A task starts as soon as its own upstream tasks are done. Failed attempts are retried up to
    ``max_retries`` with exponential backoff; a failed ``fail_safe`` task only skips the tasks
    that need its output. Every state change is written to ``run_store`` before the run moves
    on, so ``resume=run_id`` re-runs only the tasks that did not finish.

    A run is one unit of work under one correlation id: the caller's (a new one when none is
    set), kept in the run record's ``spec["correlation_id"]``. A resumed run continues under
    that stored id whatever the caller's; its ``run_started`` event names the caller's id as
    ``resumed_by`` when they differ.

    Defaults: ``LocalExecutor``, outputs in ``FilesystemIOManager(".rfs/outputs")``, runs in
    ``SqlRunStore()`` (``RFS_RUN_STORE_URL`` or ``.rfs/runs.db``). ``params`` gives constant
    arguments per task (``{"load": {"path": "out.db"}}``). Returns ``Success(RunResult)`` or
    ``Failure(RunError)``; raises :class:`PlanError` for a pipeline that cannot run.
    """
    if plan is None:
        plan = Planner(registry).create_execution_plan(tags=tags, tasks=tasks, targets=targets)
    params = params or {}
    check_params(plan, params)
    if io_manager is None:
        from rfs.pipeline.io.filesystem import FilesystemIOManager

        io_manager = FilesystemIOManager()
    own_store = run_store is None
    if run_store is None:
        from rfs.pipeline.store.sql import SqlRunStore

        run_store = SqlRunStore()
    if max_concurrency is not None and max_concurrency < 1:
        raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
    exe, own_executor = _make_executor(executor)
    try:
        previous = None if resume is None else await run_store.get_run(resume)
        caller = current_correlation_id()
        with correlation_scope(_stored_correlation_id(previous)) as cid:
            return await _run(
                plan, exe, io_manager, run_store, max_concurrency, resume, previous, run_id,
                params, publisher, dict(spec or {}), caller if caller != cid else None,
            )  # fmt: skip
    finally:
        if own_executor:
            await exe.shutdown()
        if own_store:
            await run_store.close()


def _stored_correlation_id(previous: RunRecord | None) -> str | None:
    """The correlation id a resumed run continues under (None: the caller's, or a new one)."""
    stored = None if previous is None else previous.spec.get("correlation_id")
    return stored if isinstance(stored, str) and stored else None


async def _run(
    plan: ExecutionPlan,
    executor: Executor,
    io: IOManager,
    store: RunStore,
    max_concurrency: int | None,
    resume: str | None,
    previous: RunRecord | None,
    run_id: str | None,
    params: Mapping[str, Mapping[str, Any]],
    publisher: ev.EventPublisher | None,
    spec: dict[str, Any],
    resumed_by: str | None,
) -> Result[RunResult, RunError]:
    rid = check_name("run_id", resume or run_id or new_run_id())
    run = RunDriver(plan, rid, executor, io, store, max_concurrency, params, publisher)
    started = time.time()
    if resume is not None:
        if previous is None:
            return Failure(RunError(resume, f"no run {resume!r} in the run store {store!r}"))
        if previous.dag_id != plan.dag_id:
            return Failure(
                RunError(
                    resume,
                    f"run {resume!r} was made from a different pipeline (dag_id "
                    f"{previous.dag_id}, now {plan.dag_id}): resume needs the same tasks",
                )
            )
        started = previous.started_at
        for old in previous.tasks:
            if old.task_name not in run.records:
                continue
            if old.state is TaskState.SUCCEEDED and outputs_present(io, rid, old):
                run.records[old.task_name] = old
                run.mark_done(old.task_name)
            elif old.state is not TaskState.PENDING:
                run.attempt_base[old.task_name] = old.attempts
                await store.save_task(TaskRecord(rid, old.task_name, attempts=old.attempts))
        await store.update_run(rid, RunState.RUNNING, finished_at=None, error=None)
    else:
        spec.setdefault("correlation_id", current_correlation_id())
        new = RunRecord(rid, plan.dag_id, RunState.RUNNING, started, spec=spec)
        await store.create_run(new, plan.execution_order)
    await executor.start()
    await run.emit(
        ev.RUN_STARTED,
        tasks=plan.execution_order,
        resumed=resume is not None,
        reused=sorted(run.reused),
        **({"resumed_by": resumed_by} if resumed_by else {}),
    )
    try:
        await run.drive()
    except BaseException as exc:  # cancelled, or the store failed: stop every running task
        for task in list(run.tasks):
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*run.tasks, return_exceptions=True)
        reason = "cancelled" if isinstance(exc, asyncio.CancelledError) else repr(exc)
        with contextlib.suppress(Exception):
            await store.update_run(rid, RunState.FAILED, finished_at=time.time(), error=reason)
        raise
    finished = time.time()
    failed = run.run_failed()
    state = RunState.FAILED if failed else RunState.SUCCEEDED
    message = f"run {rid} failed: {len(failed)} task(s) did not succeed" if failed else None
    await store.update_run(rid, state, finished_at=finished, error=message)
    result = run.result(started, finished, state)
    await run.emit(
        ev.RUN_FINISHED,
        state=state.value,
        duration=finished - started,
        succeeded=len(result.succeeded),
        failed=len(result.failed),
        skipped=len(result.skipped),
    )
    hook.report("pipeline.run", not failed, (finished - started) * 1000.0, message, "pipeline")
    if failed:
        return Failure(RunError(rid, message or "failed", failed, result))
    return Success(result)
