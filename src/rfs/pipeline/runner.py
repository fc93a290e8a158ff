"""The run driver: schedules a plan's tasks on an executor, with retries, skips and a run store."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from rfs.pipeline import events as ev
from rfs.pipeline.executors.base import (
    OUTPUT_ID,
    AttemptOutcome,
    AttemptStatus,
    Executor,
    InputRef,
    TaskAttempt,
    TaskRef,
    stream_item_id,
)
from rfs.pipeline.io.base import IOManager, check_name
from rfs.pipeline.planner import ExecutionPlan, PlanError, Planner
from rfs.pipeline.registry import TaskInfo, TaskRegistry
from rfs.pipeline.results import RunError, RunResult, TaskResult
from rfs.pipeline.store.base import (
    AttemptRecord,
    RunRecord,
    RunState,
    RunStore,
    TaskRecord,
    TaskState,
)
from rfs.result import Failure, Result, Success

__all__ = ["new_run_id", "run_pipeline"]

_MAX_BACKOFF = 60.0
_BLOCKING = (TaskState.FAILED, TaskState.TIMED_OUT, TaskState.SKIPPED)
_ATTEMPT_STATE = {
    AttemptStatus.SUCCEEDED: TaskState.SUCCEEDED,
    AttemptStatus.FAILED: TaskState.FAILED,
    AttemptStatus.TIMED_OUT: TaskState.TIMED_OUT,
}


def new_run_id() -> str:
    """A sortable, unique run id: ``20250115T093000-1a2b3c4d``."""
    now = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{now}-{uuid.uuid4().hex[:8]}"


def _short_error(outcome: AttemptOutcome) -> str:
    return outcome.error or outcome.status.value


class _Run:
    """State of one invocation of a run (a fresh run, or a resumed one)."""

    def __init__(
        self,
        plan: ExecutionPlan,
        run_id: str,
        executor: Executor,
        io_manager: IOManager,
        store: RunStore,
        max_concurrency: int | None,
        params: Mapping[str, Mapping[str, Any]],
        publisher: ev.EventPublisher | None,
    ) -> None:
        self.plan = plan
        self.dag = plan.dag
        self.run_id = run_id
        self.executor = executor
        self.io = io_manager
        self.store = store
        self.params = params
        self.publisher = publisher
        self.sem = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self.records: dict[str, TaskRecord] = {
            n: TaskRecord(run_id, n) for n in plan.execution_order
        }
        self.reused: set[str] = set()
        self.attempt_base: dict[str, int] = {}  # attempts made before a resume
        self.waiting = {n: len(self.dag.upstream[n]) for n in plan.execution_order}
        self.unfinished = len(plan.execution_order)
        self.done = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.fatal: BaseException | None = None
        self.refs = {n: TaskRef.of(info.func) for n, info in self.dag.nodes.items()}

    # -- events --------------------------------------------------------------------------------
    async def emit(self, topic: str, **data: Any) -> None:
        if self.publisher is None:
            return
        data["run_id"] = self.run_id
        data["dag_id"] = self.plan.dag_id
        try:
            await self.publisher.publish(topic, ev.make_event(topic, data))
        except Exception:  # an event sink must never break a run
            return

    # -- scheduling ----------------------------------------------------------------------------
    async def drive(self) -> None:
        if self.unfinished == 0:
            self.done.set()
        for name in self.plan.execution_order:
            if self.waiting[name] == 0 and not self.records[name].state.finished:
                self.launch(name)
        await self.done.wait()
        if self.fatal is not None:
            raise self.fatal

    def launch(self, name: str) -> None:
        task = asyncio.create_task(self.guarded(name), name=f"rfs-task-{name}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def guarded(self, name: str) -> None:
        try:
            await self.execute(name)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug in the driver or store: stop the run, do not hang
            self.fatal = exc
            self.done.set()

    def blocked_by(self, name: str) -> str | None:
        """The upstream whose failure means ``name`` cannot run, if any."""
        for up in self.dag.upstream[name]:
            record = self.records[up]
            if record.state not in _BLOCKING:
                continue
            info = self.dag.nodes[up]
            if record.state is TaskState.SKIPPED:
                return up
            if not info.fail_safe or self.dag.is_data_edge(up, name):
                return up
        return None

    async def finish(self, name: str) -> None:
        """A task reached a final state: release its downstream tasks."""
        self.unfinished -= 1
        for child in self.dag.downstream[name]:
            self.waiting[child] -= 1
            if self.waiting[child] == 0 and child not in self.reused:
                self.launch(child)
        if self.unfinished == 0:
            self.done.set()

    def mark_done(self, name: str) -> None:
        """Pre-finished task on resume: count it as finished without running it."""
        self.reused.add(name)
        self.unfinished -= 1
        for child in self.dag.downstream[name]:
            self.waiting[child] -= 1

    # -- one task ------------------------------------------------------------------------------
    def attempt_for(self, name: str, number: int) -> TaskAttempt:
        info = self.dag.nodes[name]
        inputs = {
            param: InputRef(d.upstream, d.mode, self.records[d.upstream].stream_count)
            for param, d in self.dag.data_inputs[name].items()
        }
        return TaskAttempt(
            run_id=self.run_id,
            task_name=name,
            attempt=number,
            ref=self.refs[name],
            kind=info.kind,
            io_manager=info.io_manager or self.io,
            inputs=inputs,
            params=dict(self.params.get(name, {})),
            timeout=info.timeout,
            max_retries=info.max_retries,
            stream_output=info.stream_output,
            func=info.func,
        )

    async def execute(self, name: str) -> None:
        info = self.dag.nodes[name]
        blocker = self.blocked_by(name)
        if blocker is not None:
            record = TaskRecord(
                self.run_id,
                name,
                TaskState.SKIPPED,
                error=f"skipped: upstream {blocker!r} did not succeed",
            )
            self.records[name] = record
            await self.store.save_task(record)
            await self.emit(ev.TASK_SKIPPED, task=name, reason=record.error)
            await self.finish(name)
            return
        tries = 0
        number = self.attempt_base.get(name, 0)
        first_start: float | None = None
        while True:
            tries += 1
            number += 1
            outcome = await self.run_attempt(info, number)
            first_start = first_start or outcome.started_at
            if outcome.ok:
                record = TaskRecord(
                    self.run_id,
                    name,
                    TaskState.SUCCEEDED,
                    attempts=number,
                    started_at=first_start,
                    finished_at=outcome.finished_at,
                    stream_count=outcome.stream_count,
                )
                await self.save(record, number, outcome)
                if self.publisher is not None:
                    await self.emit(
                        ev.TASK_SUCCEEDED,
                        task=name,
                        attempt=number,
                        duration=outcome.duration,
                        stream_count=outcome.stream_count,
                    )
                break
            error = _short_error(outcome)
            if outcome.retryable and tries <= info.max_retries:
                delay = min(_MAX_BACKOFF, info.retry_backoff * 2 ** (tries - 1))
                record = TaskRecord(
                    self.run_id,
                    name,
                    TaskState.RETRYING,
                    attempts=number,
                    started_at=first_start,
                    error=error,
                )
                await self.save(record, number, outcome)
                await self.emit(
                    ev.TASK_RETRYING, task=name, attempt=number, error=error, delay=delay
                )
                await asyncio.sleep(delay)
                continue
            state = (
                TaskState.TIMED_OUT
                if outcome.status is AttemptStatus.TIMED_OUT
                else TaskState.FAILED
            )
            record = TaskRecord(
                self.run_id,
                name,
                state,
                attempts=number,
                started_at=first_start,
                finished_at=outcome.finished_at,
                error=error,
            )
            await self.save(record, number, outcome)
            await self.emit(
                ev.TASK_FAILED,
                task=name,
                attempt=number,
                error=error,
                timed_out=state is TaskState.TIMED_OUT,
                fail_safe=info.fail_safe,
            )
            break
        await self.finish(name)

    async def run_attempt(self, info: TaskInfo, number: int) -> AttemptOutcome:
        attempt = self.attempt_for(info.name, number)
        sem = self.sem
        if sem is not None:
            await sem.acquire()
        try:
            started = time.time()
            running = TaskRecord(
                self.run_id, info.name, TaskState.RUNNING, attempts=number, started_at=started
            )
            self.records[info.name] = running
            await self.store.save_attempt(
                AttemptRecord(self.run_id, info.name, number, TaskState.RUNNING, started),
                running,
            )
            if self.publisher is not None:
                await self.emit(ev.TASK_STARTED, task=info.name, attempt=number)
            return await self.executor.submit(attempt)
        finally:
            if sem is not None:
                sem.release()

    async def save(self, record: TaskRecord, number: int, outcome: AttemptOutcome) -> None:
        self.records[record.task_name] = record
        state = _ATTEMPT_STATE[outcome.status]
        error = outcome.error
        if outcome.traceback and error:
            error = f"{error}\n{outcome.traceback[-4000:]}"
        attempt = AttemptRecord(
            self.run_id,
            record.task_name,
            number,
            state,
            outcome.started_at,
            outcome.finished_at,
            error,
        )
        await self.store.save_attempt(attempt, record)

    # -- result --------------------------------------------------------------------------------
    def result(self, started_at: float, finished_at: float, state: RunState) -> RunResult:
        tasks = {
            name: TaskResult(
                name=name,
                state=rec.state,
                attempts=rec.attempts,
                duration=rec.duration,
                error=rec.error,
                stream_count=rec.stream_count,
                executed=name not in self.reused,
            )
            for name, rec in self.records.items()
        }
        return RunResult(
            self.run_id, self.plan.dag_id, state, tasks, started_at, finished_at, self.io
        )

    def run_failed(self) -> dict[str, str]:
        """Failures that fail the run: non-fail-safe failures, and tasks skipped because of them."""
        failed: dict[str, str] = {}
        for name, rec in self.records.items():
            info = self.dag.nodes[name]
            if rec.state in (TaskState.FAILED, TaskState.TIMED_OUT) and not info.fail_safe:
                failed[name] = rec.error or rec.state.value
            elif not rec.state.finished:
                failed[name] = f"did not finish ({rec.state.value})"
        return failed


def _outputs_present(io: IOManager, run_id: str, record: TaskRecord) -> bool:
    if record.stream_count is None:
        return io.exists(run_id, record.task_name, OUTPUT_ID)
    if record.stream_count == 0:
        return True
    return io.exists(run_id, record.task_name, stream_item_id(record.stream_count - 1))


def _check_params(plan: ExecutionPlan, params: Mapping[str, Mapping[str, Any]]) -> None:
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

    Defaults: ``LocalExecutor``, outputs in ``FilesystemIOManager(".rfs/outputs")``, runs in
    ``SqlRunStore()`` (``RFS_RUN_STORE_URL`` or ``.rfs/runs.db``). ``params`` gives constant
    arguments per task (``{"load": {"path": "out.db"}}``). Returns ``Success(RunResult)`` or
    ``Failure(RunError)``; raises :class:`PlanError` for a pipeline that cannot run.
    """
    if plan is None:
        plan = Planner(registry).create_execution_plan(tags=tags, tasks=tasks, targets=targets)
    params = params or {}
    _check_params(plan, params)
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
        return await _run(
            plan, exe, io_manager, run_store, max_concurrency, resume, run_id, params,
            publisher, dict(spec or {}),
        )  # fmt: skip
    finally:
        if own_executor:
            await exe.shutdown()
        if own_store:
            await run_store.close()


async def _run(
    plan: ExecutionPlan,
    executor: Executor,
    io: IOManager,
    store: RunStore,
    max_concurrency: int | None,
    resume: str | None,
    run_id: str | None,
    params: Mapping[str, Mapping[str, Any]],
    publisher: ev.EventPublisher | None,
    spec: dict[str, Any],
) -> Result[RunResult, RunError]:
    rid = check_name("run_id", resume or run_id or new_run_id())
    run = _Run(plan, rid, executor, io, store, max_concurrency, params, publisher)
    started = time.time()
    if resume is not None:
        previous = await store.get_run(resume)
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
            if old.state is TaskState.SUCCEEDED and _outputs_present(io, rid, old):
                run.records[old.task_name] = old
                run.mark_done(old.task_name)
            elif old.state is not TaskState.PENDING:
                run.attempt_base[old.task_name] = old.attempts
                await store.save_task(TaskRecord(rid, old.task_name, attempts=old.attempts))
        await store.update_run(rid, RunState.RUNNING, finished_at=None, error=None)
    else:
        new = RunRecord(rid, plan.dag_id, RunState.RUNNING, started, spec=spec)
        await store.create_run(new, plan.execution_order)
    await executor.start()
    await run.emit(
        ev.RUN_STARTED,
        tasks=plan.execution_order,
        resumed=resume is not None,
        reused=sorted(run.reused),
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
    if failed:
        return Failure(RunError(rid, message or "failed", failed, result))
    return Success(result)


def replace_plan_registry(plan: ExecutionPlan, registry: TaskRegistry) -> ExecutionPlan:
    """The same plan bound to another registry (used by tools that reload task modules)."""
    return replace(plan, registry=registry)
