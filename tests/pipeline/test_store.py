"""The SQLAlchemy run store on SQLite and PostgreSQL, and runs recorded through it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from rfs.pipeline import MemoryIOManager, Planner, TaskRegistry, run_pipeline
from rfs.pipeline.store import (
    AttemptRecord,
    RunRecord,
    RunState,
    SqlRunStore,
    TaskRecord,
    TaskState,
    default_run_store_url,
)


async def _exercise(store: SqlRunStore) -> None:
    run_id = f"r-{uuid.uuid4().hex}"
    await store.create_run(
        RunRecord(run_id, "dag1", RunState.RUNNING, 100.0, spec={"source": "x.py"}), ["a", "b"]
    )
    running = TaskRecord(run_id, "a", TaskState.RUNNING, attempts=1, started_at=101.0)
    await store.save_attempt(AttemptRecord(run_id, "a", 1, TaskState.RUNNING, 101.0), running)
    done = TaskRecord(run_id, "a", TaskState.SUCCEEDED, 1, 101.0, 103.5, stream_count=4)
    await store.save_attempt(AttemptRecord(run_id, "a", 1, TaskState.SUCCEEDED, 101.0, 103.5), done)
    await store.save_task(TaskRecord(run_id, "b", TaskState.SKIPPED, error="upstream"))
    await store.update_run(run_id, RunState.SUCCEEDED, finished_at=110.0, error=None)

    run = await store.get_run(run_id)
    assert isinstance(run, RunRecord)
    assert (run.state, run.dag_id, run.duration, run.spec) == (
        RunState.SUCCEEDED, "dag1", 10.0, {"source": "x.py"},
    )  # fmt: skip
    a, b = run.task("a"), run.task("b")
    assert a is not None and b is not None
    assert (a.state, a.attempts, a.duration, a.stream_count) == (TaskState.SUCCEEDED, 1, 2.5, 4)
    assert (b.state, b.error) == (TaskState.SKIPPED, "upstream")
    attempts = await store.list_attempts(run_id)
    assert [(x.attempt, x.state, x.duration) for x in attempts] == [(1, TaskState.SUCCEEDED, 2.5)]
    assert run_id in [r.run_id for r in await store.list_runs(limit=50)]
    assert await store.get_run("missing") is None


async def test_sqlite_store_round_trip(tmp_path: Path) -> None:
    """Runs, tasks and attempts written to a SQLite file read back intact."""
    store = SqlRunStore(f"sqlite:///{tmp_path}/runs.db")
    try:
        await _exercise(store)
    finally:
        await store.close()
    assert (tmp_path / "runs.db").exists()


@pytest.mark.service("postgres")
async def test_postgres_store_round_trip(postgres_url: str) -> None:
    """The same store works on PostgreSQL (own tables per test, dropped after)."""
    store = SqlRunStore(postgres_url, table_prefix=f"t{uuid.uuid4().hex[:10]}_")
    try:
        await _exercise(store)
    finally:
        await store.drop_tables()
        await store.close()


@pytest.mark.service("postgres")
async def test_postgres_store_writes_are_idempotent(postgres_url: str) -> None:
    """Each write the PostgreSQL store sends as idempotent (sent again after a lost link) is
    an upsert: running it a second time leaves every row of both tables as the first did."""
    import asyncpg

    prefix = f"t{uuid.uuid4().hex[:10]}_"
    store = SqlRunStore(postgres_url, table_prefix=prefix)
    admin = await asyncpg.connect(postgres_url.replace("+asyncpg", ""))

    async def rows() -> list[tuple[object, ...]]:
        return [
            tuple(r)
            for table in ("tasks", "attempts")
            for r in await admin.fetch(f"SELECT * FROM {prefix}{table} ORDER BY 1, 2, 3")
        ]

    run_id = "r-idem"
    running = TaskRecord(run_id, "a", TaskState.RUNNING, attempts=1, started_at=101.0)
    failed = TaskRecord(run_id, "a", TaskState.FAILED, 1, 101.0, 102.0, error="boom")
    retried = TaskRecord(run_id, "a", TaskState.SUCCEEDED, 2, 101.0, 103.5, stream_count=4)
    writes = [
        lambda: store.save_attempt(
            AttemptRecord(run_id, "a", 1, TaskState.RUNNING, 101.0), running
        ),
        lambda: store.save_attempt(
            AttemptRecord(run_id, "a", 1, TaskState.FAILED, 101.0, 102.0, "boom"), failed
        ),
        lambda: store.save_attempt(
            AttemptRecord(run_id, "a", 2, TaskState.SUCCEEDED, 102.5, 103.5), retried
        ),
        lambda: store.save_task(TaskRecord(run_id, "b", TaskState.SKIPPED, error="upstream")),
        lambda: store.save_task(TaskRecord(run_id, "b", TaskState.PENDING)),
    ]
    try:
        await store.create_run(RunRecord(run_id, "dag1", RunState.RUNNING, 100.0), ["a", "b"])
        assert store._pg is not None  # the writes go through the asyncpg writer
        for write in writes:
            await write()
            once = await rows()
            await write()
            assert await rows() == once
        assert len(once) == 4  # tasks a, b; attempts 1, 2 of a
    finally:
        await admin.close()
        await store.drop_tables()
        await store.close()


def test_default_url_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default is .rfs/runs.db; RFS_RUN_STORE_URL overrides it."""
    monkeypatch.delenv("RFS_RUN_STORE_URL", raising=False)
    assert default_run_store_url().endswith("/.rfs/runs.db")
    monkeypatch.setenv("RFS_RUN_STORE_URL", "postgresql://u@h/db")
    assert SqlRunStore().url == "postgresql+asyncpg://u@h/db"


async def test_run_recorded_in_sqlite(tmp_path: Path, registry: TaskRegistry) -> None:
    """A run through run_pipeline leaves its states in the SQLite store."""
    registry.task(lambda: 1, name="a")
    registry.task(lambda: 1 / 0, name="b", fail_safe=True)
    store = SqlRunStore(f"sqlite:///{tmp_path}/runs.db")
    try:
        plan = Planner(registry).create_execution_plan()
        result = (await run_pipeline(plan, io_manager=MemoryIOManager(), run_store=store)).unwrap()
        run = await store.get_run(result.run_id)
        assert run is not None and run.state is RunState.SUCCEEDED
        b = run.task("b")
        assert b is not None and b.state is TaskState.FAILED
        assert b.error is not None and "ZeroDivisionError" in b.error
    finally:
        await store.close()
