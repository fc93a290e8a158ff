"""The durable saga log on SQLite and PostgreSQL: what is written, read back and recovered."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from _pgfaults import cut_blocked, cut_mid_statement
from rfs.result import Failure, Success
from rfs.saga import (
    ContextNotSerializable,
    EventKind,
    ExecutionExists,
    ExecutionRecord,
    LogEvent,
    OwnershipLost,
    Saga,
    SagaLog,
    SagaLogError,
    SagaRegistry,
    SagaStatus,
    StepContext,
)
from rfs.saga.log import normalize_url


class Abort(BaseException):
    """Stands in for a crash: not an Exception, so the engine does not handle it."""


BACKENDS = [
    "sqlite",
    "sqlite-sqlalchemy",
    pytest.param("postgres", marks=pytest.mark.service("postgres")),
    pytest.param("postgres-sqlalchemy", marks=pytest.mark.service("postgres")),
]


@pytest.fixture(params=BACKENDS)
async def log(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SagaLog]:
    """A fresh log; ``-sqlalchemy`` variants write through SQLAlchemy, not the fast path."""
    fast = not request.param.endswith("-sqlalchemy")
    if request.param.startswith("sqlite"):
        saga_log = SagaLog(f"sqlite+aiosqlite:///{tmp_path / 'sagas.db'}", fast_path=fast)
    else:
        url = request.getfixturevalue("postgres_url")
        saga_log = SagaLog(url, table_prefix=f"t{uuid.uuid4().hex[:10]}_", fast_path=fast)
    await saga_log.create_tables()
    yield saga_log
    if request.param.startswith("postgres"):
        await saga_log.drop_tables()
    await saga_log.close()


@pytest.fixture
def registry() -> SagaRegistry:
    return SagaRegistry()


def kinds(record: Any) -> list[tuple[str, str | None]]:
    return [(e.kind.value, e.step) for e in record.events]


async def test_transitions_are_logged_in_order(log: SagaLog, registry: SagaRegistry) -> None:
    """A completed execution logs each step's start and success, then completion."""
    saga = Saga("logged", registry=registry, log=log)
    saga.add_step("a", lambda ctx: ctx.update(a=1))
    saga.add_step("b", lambda ctx: ctx.update(b=2))
    result = await saga.execute({"order": 7}, execution_id="e1")
    assert result == Success({"order": 7, "a": 1, "b": 2})
    record = await log.load("e1")
    assert isinstance(record, ExecutionRecord)
    assert record.status is SagaStatus.COMPLETED
    assert record.context == {"order": 7, "a": 1, "b": 2}
    assert kinds(record) == [
        ("saga_started", None),
        ("step_started", "a"),
        ("step_succeeded", "a"),
        ("step_started", "b"),
        ("step_succeeded", "b"),
        ("saga_completed", None),
    ]


async def test_compensation_is_logged(log: SagaLog, registry: SagaRegistry) -> None:
    """A failed execution logs the failure, each compensation and the final status."""
    saga = Saga("undo", registry=registry, log=log)
    saga.add_step("a", lambda ctx: None, lambda ctx: None)
    saga.add_step("b", lambda ctx: Failure("declined"), None)
    result = await saga.execute({}, execution_id="e2")
    assert isinstance(result, Failure)
    record = await log.load("e2")
    assert record is not None and record.status is SagaStatus.COMPENSATED
    assert kinds(record)[-5:] == [
        ("step_started", "b"),
        ("step_failed", "b"),
        ("compensation_started", "a"),
        ("compensation_succeeded", "a"),
        ("saga_compensated", None),
    ]
    assert record.error == "declined"


async def test_list_filters_by_status_and_saga(log: SagaLog, registry: SagaRegistry) -> None:
    """``list`` returns executions newest first, filtered by status and saga name."""
    ok = Saga("ok", registry=registry, log=log)
    ok.add_step("a", lambda ctx: None)
    bad = Saga("bad", registry=registry, log=log)
    bad.add_step("a", lambda ctx: Failure("no"))
    await ok.execute({}, execution_id="ok1")
    await bad.execute({}, execution_id="bad1")
    await ok.execute({}, execution_id="ok2")
    assert [r.id for r in await log.list()] == ["ok2", "bad1", "ok1"]
    assert [r.id for r in await log.list(status=SagaStatus.COMPENSATED)] == ["bad1"]
    assert [r.id for r in await log.list(saga_name="ok", limit=1)] == ["ok2"]


async def test_unserialisable_context_is_refused_before_any_step(
    log: SagaLog, registry: SagaRegistry
) -> None:
    """A context JSON cannot hold raises a clear error and runs nothing."""
    calls: list[int] = []
    saga = Saga("objects", registry=registry, log=log)
    saga.add_step("a", lambda ctx: calls.append(1))
    with pytest.raises(ContextNotSerializable, match="serializer='pickle'"):
        await saga.execute({"when": object()})
    assert calls == []
    assert await log.list() == []


async def test_context_becoming_unserialisable_is_compensated(
    log: SagaLog, registry: SagaRegistry
) -> None:
    """A step that puts an unloggable value in the context fails and is undone itself."""
    undone: list[str] = []
    saga = Saga("poison", registry=registry, log=log)
    saga.add_step("a", lambda ctx: None, lambda ctx: undone.append("a"))
    saga.add_step("b", lambda ctx: ctx.update(x=object()), lambda ctx: undone.append("b"))
    result = await saga.execute({})
    assert isinstance(result, Failure)
    assert isinstance(result.error.cause, ContextNotSerializable)
    assert undone == ["b", "a"]


async def test_recover_finishes_an_interrupted_execution(
    log: SagaLog, registry: SagaRegistry
) -> None:
    """An execution abandoned mid-step is resumed from that step once its lease runs out."""
    runs: list[tuple[str, bool, str]] = []
    crash = True

    def second(ctx: dict[str, int], step: StepContext) -> None:
        runs.append((step.step, step.recovering, step.idempotency_key))
        if crash:
            raise Abort

    saga = Saga("resumable", registry=registry, log=log, lease=0.05)
    saga.add_step("a", lambda ctx, step: runs.append((step.step, step.recovering, "")))
    saga.add_step("b", second)
    saga.add_step("c", lambda ctx: ctx.update(c=True))
    with pytest.raises(Abort):
        await saga.execute({"n": 1}, execution_id="crashed")
    before = await log.load("crashed")
    assert before is not None and before.status is SagaStatus.RUNNING
    crash = False
    # The owner (this process) is alive: only the lease lets another recover it.
    import asyncio

    await asyncio.sleep(0.1)
    report = (await log.recover(registry)).unwrap()
    assert report.completed == ["crashed"]
    assert report.results["crashed"] == Success({"n": 1, "c": True})
    assert runs == [("a", False, ""), ("b", False, "crashed:b"), ("b", True, "crashed:b")]
    after = await log.load("crashed")
    assert after is not None and after.status is SagaStatus.COMPLETED
    assert EventKind.RECOVERED in [e.kind for e in after.events]


async def test_recover_leaves_live_and_unknown_executions(
    log: SagaLog, registry: SagaRegistry
) -> None:
    """Executions held by a live lease are busy; those of unregistered sagas are reported."""
    import asyncio

    held = Saga("held", registry=registry, log=log, lease=60)
    held.add_step("a", lambda ctx: (_ for _ in ()).throw(Abort()))
    stale = Saga("stale", registry=registry, log=log, lease=0.05)
    stale.add_step("a", lambda ctx: (_ for _ in ()).throw(Abort()))
    for saga, execution_id in ((held, "held1"), (stale, "stale1")):
        with pytest.raises(Abort):
            await saga.execute({}, execution_id=execution_id)
    await asyncio.sleep(0.1)
    report = (await log.recover(SagaRegistry())).unwrap()
    assert report.busy == ["held1"]
    assert report.unknown == ["stale1"]
    assert report.results == {}
    record = await log.load("stale1")
    assert record is not None and record.status is SagaStatus.RUNNING


async def test_recover_continues_compensation(log: SagaLog, registry: SagaRegistry) -> None:
    """An execution interrupted mid-compensation finishes undoing, skipping what was undone."""
    undone: list[str] = []
    crash = True

    def undo_b(ctx: object) -> None:
        undone.append("b")
        if crash:
            raise Abort

    saga = Saga("half-undone", registry=registry, log=log, lease=0.05)
    saga.add_step("a", lambda ctx: None, lambda ctx: undone.append("a"))
    saga.add_step("b", lambda ctx: None, undo_b)
    saga.add_step("c", lambda ctx: None, lambda ctx: undone.append("c"))
    saga.add_step("d", lambda ctx: Failure("boom"))
    with pytest.raises(Abort):
        await saga.execute({}, execution_id="comp")
    crash = False
    import asyncio

    await asyncio.sleep(0.1)
    report = (await log.recover(registry)).unwrap()
    assert report.compensated == ["comp"]
    assert undone == ["c", "b", "b", "a"]
    error = report.results["comp"].unwrap_error()
    assert error.step == "d" and error.cause == "boom"


async def test_a_stale_owner_cannot_write_after_takeover(
    log: SagaLog, registry: SagaRegistry
) -> None:
    """Once another process claims an execution, the old owner's writes are refused."""
    saga = Saga("claimed", registry=registry, log=log)
    saga.add_step("a", lambda ctx: (_ for _ in ()).throw(Abort()))
    with pytest.raises(Abort):
        await saga.execute({}, execution_id="c1")
    record = await log.load("c1")
    assert isinstance(record, ExecutionRecord)
    assert await log.claim("c1", record.owner, "other:1:x", 1e12)
    assert not await log.claim("c1", record.owner, "third:1:x", 1e12)
    from rfs.saga import OwnershipLost

    with pytest.raises(OwnershipLost):
        await log.append("c1", record.owner, [], lease_until=0)


async def test_a_burst_of_writes_fails_only_the_refused_ones(log: SagaLog) -> None:
    """Writes made at once (one group commit on the fast paths): a stale owner's append and a
    duplicate start fail alone; every other start and append of the burst is committed."""

    def event(step: str) -> list[LogEvent]:
        return [LogEvent(EventKind.STEP_STARTED, step, 0, 1, None, 1.0)]

    for n in range(3):
        await log.start(f"b{n}", "burst", {"n": n}, "me", 1e12, [])
    results = await asyncio.gather(
        *(log.append(f"b{n}", "me", event(f"mine{n}"), lease_until=1e12) for n in range(3)),
        log.append("b1", "thief", event("stolen"), lease_until=1e12, context={"n": -1}),
        log.start("b0", "burst", {"again": True}, "me", 1e12, event("twice")),
        log.start("fresh", "burst", {"new": True}, "me", 1e12, event("first")),
        *(log.append(f"b{n}", "me", event(f"later{n}"), lease_until=1e12) for n in range(3)),
        return_exceptions=True,
    )
    assert results[:3] == [None] * 3 and results[5:] == [None] * 4
    assert isinstance(results[3], OwnershipLost) and isinstance(results[4], ExecutionExists)
    for n in range(3):
        record = await log.load(f"b{n}")
        assert record is not None and record.owner == "me" and record.context == {"n": n}
        assert sorted(e.step or "" for e in record.events) == [f"later{n}", f"mine{n}"]
    fresh = await log.load("fresh")
    assert fresh is not None and fresh.context == {"new": True}
    assert [e.step for e in fresh.events] == ["first"]


async def test_pickle_serializer_keeps_python_objects(
    tmp_path: Path, registry: SagaRegistry
) -> None:
    """With ``serializer='pickle'`` a context of arbitrary picklable objects is logged."""
    from datetime import date

    async with SagaLog(f"sqlite:///{tmp_path / 'p.db'}", serializer="pickle") as log:
        saga = Saga("pickled", registry=registry, log=log)
        saga.add_step("a", lambda ctx: None)
        await saga.execute({"day": date(2024, 1, 2)}, execution_id="p1")
        record = await log.load("p1")
        assert record is not None and record.context == {"day": date(2024, 1, 2)}


async def test_unreachable_database_gives_a_failure(registry: SagaRegistry) -> None:
    """A log that cannot be reached fails the execution before any step runs."""
    calls: list[int] = []
    log = SagaLog("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    saga = Saga("nodb", registry=registry, log=log)
    saga.add_step("a", lambda ctx: calls.append(1))
    result = await saga.execute({})
    assert isinstance(result, Failure)
    assert "Connect call failed" in str(result.error.cause)
    assert calls == []
    recovered = await log.recover(registry)
    assert recovered.is_failure()
    await log.close()


def test_plain_urls_get_async_drivers() -> None:
    """Plain sqlite/postgresql URLs are given the async drivers."""
    assert normalize_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalize_url("postgresql://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert normalize_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert normalize_url("sqlite+aiosqlite:///x") == "sqlite+aiosqlite:///x"


async def test_reused_execution_id_returns_the_logged_outcome(
    log: SagaLog, registry: SagaRegistry
) -> None:
    """A repeated ``execute`` with a finished id answers from the log and runs nothing."""
    calls: list[str] = []
    saga = Saga("twice", registry=registry, log=log, compensation_retries=0)
    saga.add_step("a", lambda ctx: calls.append("a"), lambda ctx: calls.append("-a"))
    saga.add_step("b", lambda ctx: calls.append("b"), lambda ctx: Failure("stuck"))
    saga.add_step("c", lambda ctx: Failure("declined") if ctx["fail"] else calls.append("c"))
    assert (await saga.execute({"fail": False}, execution_id="ok")).is_success()
    assert await saga.execute({"fail": False}, execution_id="ok") == Success({"fail": False})
    first = await saga.execute({"fail": True}, execution_id="bad")
    calls.clear()
    again = await saga.execute({"fail": True}, execution_id="bad")
    assert calls == []
    assert isinstance(first, Failure) and isinstance(again, Failure)
    assert again.error.step == first.error.step == "c"
    assert again.error.cause == "declined"
    assert again.error.status is first.error.status is SagaStatus.FAILED
    assert again.error.compensated == first.error.compensated == ("a",)
    assert [f.step for f in again.error.failed_compensations] == ["b"]


@pytest.mark.service("postgres")
@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "sqlalchemy"])
async def test_dropped_database_connection_mid_saga(
    postgres_url: str, registry: SagaRegistry, fast: bool
) -> None:
    """The log's connections killed by the server mid-saga: the write is retried, nothing lost."""
    import asyncpg

    prefix = f"d{uuid.uuid4().hex[:10]}_"
    log = SagaLog(postgres_url, table_prefix=prefix, fast_path=fast)

    async def drop_log_connections(ctx: dict[str, Any]) -> None:
        from sqlalchemy import text

        async with log.engine.connect() as conn:  # the engine's pooled connection
            engine_pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        admin = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))
        try:
            ctx["terminated"] = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE (query LIKE $1 OR pid = $2) AND pid <> pg_backend_pid()",
                f"%{prefix}%",
                engine_pid,
            )
        finally:
            await admin.close()

    saga = Saga("dropped", registry=registry, log=log)
    saga.add_step("a", lambda ctx: None)
    saga.add_step("drop", drop_log_connections)
    saga.add_step("c", lambda ctx: ctx.update(c=True))
    try:
        result = await saga.execute({}, execution_id="drop1")
        if isinstance(result, Failure):
            chain, cause = [], result.error.cause
            while isinstance(cause, BaseException):
                chain.append(repr(cause))
                cause = cause.__cause__ or cause.__context__
            pytest.fail("\n".join(chain))
        assert result.unwrap()["terminated"] >= 1
        record = await log.load("drop1")
        assert record is not None and record.status is SagaStatus.COMPLETED
        steps_done = [e.step for e in record.events if e.kind is EventKind.STEP_SUCCEEDED]
        assert steps_done == ["a", "drop", "c"]
    finally:
        await log.drop_tables()
        await log.close()


@pytest.mark.service("postgres")
async def test_pg_log_append_cut_in_flight_is_not_sent_again(postgres_url: str) -> None:
    """The server ends the log writer's session with an append in flight (a lone write: its
    commit may have landed): the append raises ``SagaLogError`` and is not sent again, so no
    event is ever logged twice; the next append goes through on a fresh connection."""
    prefix = f"c{uuid.uuid4().hex[:10]}_"
    log = SagaLog(postgres_url, table_prefix=prefix)
    lock = f"LOCK TABLE {prefix}executions IN EXCLUSIVE MODE"

    def done(step: str) -> list[LogEvent]:
        return [LogEvent(EventKind.STEP_SUCCEEDED, step, 0, 1, None, 1.0)]

    try:
        await log.start("x1", "cut", {"n": 1}, "me", 1e12, [])
        async with cut_mid_statement(postgres_url.replace("+asyncpg", ""), lock) as admin:
            append = asyncio.ensure_future(
                log.append("x1", "me", done("a"), lease_until=1e12, context={"n": 2})
            )
            cut = await cut_blocked(admin)
        assert f"{prefix}executions" in cut.query
        with pytest.raises(SagaLogError) as raised:
            await append
        notes = getattr(raised.value.__cause__, "__notes__", [])
        assert any("was not sent again" in note for note in notes)
        record = await log.load("x1")
        assert record is not None and (record.context, record.events) == ({"n": 1}, [])
        await log.append("x1", "me", done("b"), lease_until=1e12)
        record = await log.load("x1")
        assert record is not None and [e.step for e in record.events] == ["b"]
    finally:
        await log.drop_tables()
        await log.close()


async def test_watch_recovers_in_the_background(log: SagaLog, registry: SagaRegistry) -> None:
    """``watch`` keeps recovering: an abandoned execution is finished within its interval."""
    import asyncio

    finished = asyncio.Event()
    crash = True

    def step(ctx: object) -> None:
        if crash:
            raise Abort
        finished.set()

    saga = Saga("watched", registry=registry, log=log, lease=0.05)
    saga.add_step("a", step)
    with pytest.raises(Abort):
        await saga.execute({}, execution_id="w1")
    crash = False
    stop = asyncio.Event()
    watcher = asyncio.create_task(log.watch(registry, interval=0.05, stop=stop))
    await asyncio.wait_for(finished.wait(), 5)
    stop.set()
    await watcher
    record = await log.load("w1")
    assert record is not None and record.status is SagaStatus.COMPLETED


async def test_changed_definition_is_not_recovered(log: SagaLog, registry: SagaRegistry) -> None:
    """An execution whose logged steps the current definition lacks is reported, not run."""
    import asyncio

    old = Saga("evolving", registry=registry, log=log, lease=0.05)
    old.add_step("reserve", lambda ctx: None)
    old.add_step("charge", lambda ctx: (_ for _ in ()).throw(Abort()))
    with pytest.raises(Abort):
        await old.execute({}, execution_id="v1")
    calls: list[str] = []
    new = Saga("evolving", registry=registry, log=log)
    new.add_step("reserve", lambda ctx: calls.append("reserve"))
    new.add_step("bill", lambda ctx: calls.append("bill"))
    await asyncio.sleep(0.1)
    report = (await log.recover(registry)).unwrap()
    assert report.mismatched == ["v1"]
    assert report.results == {} and calls == []


async def test_concurrent_durable_executions(log: SagaLog, registry: SagaRegistry) -> None:
    """Many executions writing to one log at once each end with their own complete history."""
    import asyncio

    async def hop(ctx: dict[str, int]) -> None:
        await asyncio.sleep(0)
        ctx["hops"] = ctx.get("hops", 0) + 1

    saga = Saga("parallel", registry=registry, log=log)
    for name in ("a", "b", "c"):
        saga.add_step(name, hop, lambda ctx: None)
    saga.add_step("odd", lambda ctx: Failure("odd") if ctx["n"] % 2 else None)
    results = await asyncio.gather(
        *(saga.execute({"n": n}, execution_id=f"p{n}") for n in range(20))
    )
    assert [r.is_success() for r in results] == [n % 2 == 0 for n in range(20)]
    for n in range(20):
        record = await log.load(f"p{n}")
        assert isinstance(record, ExecutionRecord)
        expected = SagaStatus.COMPENSATED if n % 2 else SagaStatus.COMPLETED
        assert record.status is expected
        done = [e.step for e in record.events if e.kind is EventKind.STEP_SUCCEEDED]
        assert done == (["a", "b", "c"] if n % 2 else ["a", "b", "c", "odd"])


async def test_heartbeat_keeps_a_long_step_owned(log: SagaLog, registry: SagaRegistry) -> None:
    """A step running longer than the lease is not taken over while its process lives."""
    import asyncio

    started = asyncio.Event()

    async def long_step(ctx: object) -> None:
        started.set()
        await asyncio.sleep(1.0)

    saga = Saga("long", registry=registry, log=log, lease=0.6)
    saga.add_step("slow", long_step)
    running = asyncio.create_task(saga.execute({}, execution_id="long1"))
    await started.wait()
    await asyncio.sleep(0.8)  # past the first lease; the heartbeat renewed it
    report = (await log.recover(registry)).unwrap()
    assert report.busy == ["long1"] and report.results == {}
    assert (await running).is_success()


async def test_purge_deletes_only_old_finished_executions(
    log: SagaLog, registry: SagaRegistry
) -> None:
    """``purge`` removes finished executions past the age and keeps active ones."""
    saga = Saga("purged", registry=registry, log=log)
    saga.add_step("a", lambda ctx: None)
    await saga.execute({}, execution_id="done1")
    stuck = Saga("stuck", registry=registry, log=log)
    stuck.add_step("a", lambda ctx: (_ for _ in ()).throw(Abort()))
    with pytest.raises(Abort):
        await stuck.execute({}, execution_id="active1")
    assert await log.purge(older_than=3600) == 0
    assert await log.purge(older_than=-1) == 1
    assert await log.load("done1") is None
    assert await log.load("active1") is not None


@pytest.mark.service("postgres")
async def test_postgres_schema(postgres_url: str, registry: SagaRegistry) -> None:
    """A log in its own PostgreSQL schema writes and recovers there (fast path included)."""
    import asyncpg

    schema = f"s{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        async with SagaLog(postgres_url, schema=schema) as log:
            saga = Saga("schema", registry=registry, log=log)
            saga.add_step("a", lambda ctx: ctx.update(a=1))
            assert await saga.execute({}, execution_id="s1") == Success({"a": 1})
            record = await log.load("s1")
            assert record is not None and record.status is SagaStatus.COMPLETED
        count = await admin.fetchval(f"SELECT count(*) FROM {schema}.rfs_saga_events")
        assert count == 4
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()
