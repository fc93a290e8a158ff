"""One correlation id followed end to end: scheduler fire (FakeClock) -> published event ->
pipeline run on the process executor -> a saga, on every log entry, span and run record; and
the boundaries one at a time (Celery message, saga recovery, async tasks)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rfs.async_tasks import AsyncTaskManager
from rfs.events import Event, InMemoryBroker, InMemoryConsumer, InMemoryPublisher
from rfs.monitoring import (
    correlation_scope,
    current_correlation_id,
    log_info,
    log_result_operation,
)
from rfs.monitoring.otel import instrument, uninstrument
from rfs.pipeline import FilesystemIOManager, MemoryRunStore, run_pipeline
from rfs.pipeline.executors.attempt import TaskAttempt, TaskRef
from rfs.pipeline.executors.celery_wire import AttemptRejected, decode_attempt, encode_attempt
from rfs.pipeline.kinds import TaskKind
from rfs.result import Result, Success
from rfs.saga import Saga, SagaLog, SagaRegistry
from rfs.scheduler import FakeClock, Scheduler, create_interval_trigger

from . import e2e_tasks


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        uninstrument()


@pytest.fixture
async def saga_log(tmp_path: Path) -> Any:
    log = SagaLog(f"sqlite+aiosqlite:///{tmp_path / 'sagas.db'}")
    await log.create_tables()
    yield log
    await log.close()


async def test_one_id_from_scheduler_fire_to_saga(
    tmp_path: Path,
    spans: InMemorySpanExporter,
    saga_log: SagaLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The fire's id reaches the event, the handler's entry and span, the pipeline run record,
    the task attempt in a worker process, and the saga's steps, entries, spans and log row."""
    caplog.set_level(logging.INFO)
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    broker = InMemoryBroker()
    scheduler = Scheduler(InMemoryPublisher(broker), clock=clock)
    await scheduler.register_trigger("nightly", create_interval_trigger(hours=1), "jobs.nightly")
    subscription = InMemoryConsumer(broker).consume("jobs.*")
    io = FilesystemIOManager(tmp_path / "outputs")
    runs = MemoryRunStore()
    registry = SagaRegistry()
    saga = Saga("settle", registry=registry, log=saga_log)

    @log_result_operation("settle.charge")
    async def charge(ctx: dict[str, Any]) -> Result[str | None, str]:
        log_info("charging", run=ctx["run_id"])
        return Success(current_correlation_id())

    async def charge_step(ctx: dict[str, Any]) -> Result[None, str]:
        ctx["charged_under"] = (await charge(ctx)).unwrap()
        return Success(None)

    saga.add_step("charge", charge_step)
    seen: dict[str, Any] = {}

    @log_result_operation("nightly.handle")
    async def handle(event: Event) -> Result[Any, Any]:
        seen["event"] = event.correlation_id
        run = (await run_pipeline(registry=e2e_tasks.registry, executor="process",
                                  io_manager=io, run_store=runs)).unwrap()  # fmt: skip
        seen["run_id"] = run.run_id
        seen["where"] = run.output("where")
        outcome = await saga.execute({"run_id": run.run_id}, execution_id="settle-1")
        seen["saga"] = outcome.unwrap()
        await subscription.close()
        return outcome

    consumer = asyncio.create_task(subscription.run(handle))
    await scheduler.start()
    await clock.advance(timedelta(hours=1))
    await asyncio.wait_for(consumer, 60)
    await scheduler.stop()

    cid = seen["event"]
    assert isinstance(cid, str) and cid
    # the task attempt ran in another process, under the same id
    run_record = await runs.get_run(seen["run_id"])
    assert run_record is not None and run_record.spec["correlation_id"] == cid
    where = seen["where"]
    assert where["correlation_id"] == cid and where["pid"] != os.getpid()
    # the saga: its step ran under it, and its log row keeps it for recovery
    assert seen["saga"]["charged_under"] == cid
    saga_record = await saga_log.load("settle-1")
    assert saga_record is not None and saga_record.correlation_id == cid
    # every log entry that carries an id carries this one
    tagged = [r for r in caplog.records if getattr(r, "correlation_id", None) is not None]
    assert {r.getMessage().split(":")[0] for r in tagged} >= {"nightly.handle", "settle.charge"}
    assert {r.correlation_id for r in tagged} == {cid}  # type: ignore[attr-defined]
    # and every span
    finished = spans.get_finished_spans()
    assert {s.name for s in finished} >= {"nightly.handle", "settle.charge"}
    assert {(s.attributes or {}).get("rfs.correlation_id") for s in finished} == {cid}


def _attempt(cid: str | None) -> TaskAttempt:
    return TaskAttempt(
        run_id="r1",
        task_name="where",
        attempt=1,
        ref=TaskRef("tests.monitoring.e2e_tasks", "where", None),
        kind=TaskKind.SYNC,
        io_manager=FilesystemIOManager("/tmp/rfs-unused"),
        correlation_id=cid,
    )


def test_celery_message_carries_the_id_inside_the_signature() -> None:
    """The id travels in the signed JSON body; tampering with it breaks the signature."""
    message = encode_attempt(_attempt("abc-123"), key="k" * 32)
    assert decode_attempt(message, key="k" * 32).correlation_id == "abc-123"
    tampered = message.replace("abc-123", "evil-99")
    with pytest.raises(AttemptRejected):
        decode_attempt(tampered, key="k" * 32)
    assert (
        decode_attempt(encode_attempt(_attempt(None), key="k" * 32), key="k" * 32).correlation_id
        is None
    )


@pytest.mark.parametrize("bad", ["", "x" * 129, "a\nb", 7, ["id"]])
def test_celery_message_with_a_bad_id_is_refused(bad: object) -> None:
    """An id that is not short printable text is refused, not logged."""
    import json

    message = json.loads(encode_attempt(_attempt("ok"), key="k" * 32))
    body = json.loads(message["body"])
    body["correlation_id"] = bad
    message["body"] = json.dumps(body)
    from rfs.pipeline.executors.celery_wire import _signature

    message["sig"] = _signature(b"k" * 32, message["format"], message["body"])  # re-signed
    with pytest.raises(AttemptRejected, match="correlation_id"):
        decode_attempt(json.dumps(message), key="k" * 32)


class Abort(BaseException):
    """Stands in for a crash."""


async def test_saga_recovery_runs_under_the_original_id(saga_log: SagaLog) -> None:
    """A crashed execution, recovered from a context without an id, resumes under its own."""
    registry = SagaRegistry()
    seen: list[str | None] = []
    crash = True

    def step(ctx: dict[str, int]) -> None:
        seen.append(current_correlation_id())
        if crash:
            raise Abort

    saga = Saga("resumable", registry=registry, log=saga_log, lease=0.05)
    saga.add_step("a", step)
    with correlation_scope("order-42"), pytest.raises(Abort):
        await saga.execute({"n": 1}, execution_id="crashed")
    crash = False
    await asyncio.sleep(0.1)  # the lease runs out (real time: the log's clock)
    assert current_correlation_id() is None
    report = (await saga_log.recover(registry)).unwrap()
    assert report.completed == ["crashed"]
    assert seen == ["order-42", "order-42"]


async def test_async_tasks_run_under_their_submitters_id() -> None:
    """Each task sees the id it was submitted under, not the worker's first submitter's."""
    seen: dict[str, str | None] = {}

    async def job(name: str) -> None:
        seen[name] = current_correlation_id()

    async with AsyncTaskManager(max_workers=1) as manager:
        with correlation_scope("first"):
            a = await manager.submit(job, "a")
        with correlation_scope("second"):
            b = await manager.submit(job, "b")
        c = await manager.submit(job, "c")
        for task_id in (a, b, c):
            await manager.get_result(task_id)
    assert seen == {"a": "first", "b": "second", "c": None}
