"""The run driver: launches each task when its upstreams are done, retries, skips, records.

:class:`RunDriver` holds one invocation of a run; :func:`rfs.pipeline.runner.run_pipeline`
builds it, restores a resumed run into it and turns its records into the result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import rfs.pipeline.events as ev
from rfs._backoff import retry_delay
from rfs.monitoring import hook
from rfs.monitoring.context import current_correlation_id
from rfs.pipeline.executors.attempt import (
    OUTPUT_ID,
    AttemptOutcome,
    AttemptStatus,
    InputRef,
    TaskAttempt,
    TaskRef,
    stream_item_id,
)
from rfs.pipeline.executors.base import Executor
from rfs.pipeline.io.base import IOManager
from rfs.pipeline.planner import ExecutionPlan
from rfs.pipeline.registry import TaskInfo
from rfs.pipeline.results import RunResult, TaskResult
from rfs.pipeline.store.base import AttemptRecord, RunState, RunStore, TaskRecord, TaskState

__all__ = ["RunDriver", "outputs_present"]

_MAX_BACKOFF = 60.0
_BLOCKING = (TaskState.FAILED, TaskState.TIMED_OUT, TaskState.SKIPPED)
_ATTEMPT_STATE = {
    AttemptStatus.SUCCEEDED: TaskState.SUCCEEDED,
    AttemptStatus.FAILED: TaskState.FAILED,
    AttemptStatus.TIMED_OUT: TaskState.TIMED_OUT,
}


def _short_error(outcome: AttemptOutcome) -> str:
    return outcome.error or outcome.status.value


class RunDriver:
    """State of one invocation of a run (a fresh run, or a resumed one) and its scheduling."""

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
            correlation_id=current_correlation_id(),
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
                delay = retry_delay(tries, info.retry_backoff, _MAX_BACKOFF)
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
        if (mon := hook.monitor) is not None:
            ms = (outcome.finished_at - outcome.started_at) * 1000.0
            ok = outcome.status is AttemptStatus.SUCCEEDED
            mon.observe(f"pipeline.task.{record.task_name}", ok, ms, outcome.error, "pipeline")

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


def outputs_present(io: IOManager, run_id: str, record: TaskRecord) -> bool:
    """Whether a succeeded task's outputs are still in the I/O manager (so resume reuses it)."""
    if record.stream_count is None:
        return io.exists(run_id, record.task_name, OUTPUT_ID)
    if record.stream_count == 0:
        return True
    return io.exists(run_id, record.task_name, stream_item_id(record.stream_count - 1))
