"""SQLAlchemy run store: SQLite by default (``.rfs/runs.db``), PostgreSQL for shared use."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any, TypeVar

from rfs._database import (
    async_url,
    default_url,
    ensure_sqlite_parent,
    install_sqlite_pragmas,
    sqlite_file,
)
from rfs.pipeline.store.base import AttemptRecord, RunRecord, RunState, TaskRecord, TaskState
from rfs.pipeline.store.fast import FastWrites, PgWrites

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["DEFAULT_RUN_STORE_URL", "SqlRunStore", "default_run_store_url"]

#: The store's default when neither an argument nor ``RFS_RUN_STORE_URL`` names one (and
#: ``RFS_DATA_DIR`` does not move the data directory).
DEFAULT_RUN_STORE_URL = "sqlite+aiosqlite:///.rfs/runs.db"


def default_run_store_url() -> str:
    """``RFS_RUN_STORE_URL`` if set, else SQLite ``runs.db`` in the data directory (``.rfs/``)."""
    return default_url("runs.db", "RFS_RUN_STORE_URL")


_R = TypeVar("_R", TaskRecord, AttemptRecord)


def _record(cls: type[_R], row: Any) -> _R:
    """A task or attempt record from a row whose columns are named after its fields."""
    return cls(**{**row._mapping, "state": TaskState(row.state)})


class SqlRunStore:
    """Runs, tasks and attempts in three tables (``{prefix}runs``, ``..._tasks``, ``..._attempts``).

    Tables are created on first use. SQLite runs in WAL mode so ``rfs runs list`` can read while
    a run writes; on a SQLite file, writes go through the shared group-committing writer (one
    row per attempt state change, finishing tasks share commits), reads through SQLAlchemy.
    Each write is committed when its call returns. ``table_prefix`` lets several stores share
    one database.
    """

    def __init__(self, url: str | None = None, *, table_prefix: str = "rfs_pipeline_") -> None:
        self.url = async_url(url or default_run_store_url())
        self.table_prefix = table_prefix
        self._engine: AsyncEngine | None = None
        self._lock = asyncio.Lock()
        self._tables: dict[str, Table] = {}
        self._fast: FastWrites | None = None  # SQLite files: writes through the group writer
        self._pg: PgWrites | None = None  # asyncpg: attempts and tasks group-committed

    # -- setup ---------------------------------------------------------------------------------
    async def _ready(self) -> AsyncEngine:
        if self._engine is not None:
            return self._engine
        async with self._lock:
            if self._engine is None:
                self._engine = await self._connect()
        return self._engine

    async def _connect(self) -> AsyncEngine:
        from sqlalchemy.ext.asyncio import create_async_engine

        kwargs: dict[str, Any] = {}
        sqlite = self.url.startswith("sqlite")
        if sqlite:
            ensure_sqlite_parent(self.url)
            kwargs["connect_args"] = {"timeout": 30}
        engine = create_async_engine(self.url, **kwargs)
        if sqlite:
            install_sqlite_pragmas(engine.sync_engine)

        metadata = self._define()
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        path = sqlite_file(self.url)
        quote = engine.dialect.identifier_preparer.format_table
        names = {key: quote(table) for key, table in self._tables.items()}
        if path is not None:
            self._fast = FastWrites(path, names)
        elif engine.url.get_driver_name() == "asyncpg":
            dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._pg = PgWrites(dsn, names)
        return engine

    def _define(self) -> Any:
        from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

        p = self.table_prefix
        md = MetaData()
        self._tables["runs"] = Table(
            f"{p}runs",
            md,
            Column("run_id", String(200), primary_key=True),
            Column("dag_id", String(64), nullable=False),
            Column("state", String(20), nullable=False),
            Column("started_at", Float, nullable=False),
            Column("finished_at", Float),
            Column("error", Text),
            Column("spec", Text, nullable=False, default="{}"),
            Index(f"{p}runs_started", "started_at"),  # `rfs runs`, the dashboard: latest first
            Index(f"{p}runs_state", "state", "started_at"),  # runs in a state (resume, dashboard)
        )
        self._tables["tasks"] = Table(
            f"{p}tasks",
            md,
            Column("run_id", String(200), primary_key=True),
            Column("task_name", String(200), primary_key=True),
            Column("state", String(20), nullable=False),
            Column("attempts", Integer, nullable=False, default=0),
            Column("started_at", Float),
            Column("finished_at", Float),
            Column("error", Text),
            Column("stream_count", Integer),
        )
        self._tables["attempts"] = Table(
            f"{p}attempts",
            md,
            Column("run_id", String(200), primary_key=True),
            Column("task_name", String(200), primary_key=True),
            Column("attempt", Integer, primary_key=True),
            Column("state", String(20), nullable=False),
            Column("started_at", Float, nullable=False),
            Column("finished_at", Float),
            Column("error", Text),
        )
        return md

    # -- writes --------------------------------------------------------------------------------
    async def create_run(self, run: RunRecord, task_names: list[str]) -> None:
        engine = await self._ready()
        if self._fast is not None:
            return await self._fast.create_run(run, task_names)
        runs, tasks = self._tables["runs"], self._tables["tasks"]
        async with engine.begin() as conn:
            await conn.execute(
                runs.insert().values(
                    run_id=run.run_id,
                    dag_id=run.dag_id,
                    state=run.state.value,
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    error=run.error,
                    spec=json.dumps(run.spec),
                )
            )
            if task_names:
                await conn.execute(
                    tasks.insert(),
                    [
                        {
                            "run_id": run.run_id,
                            "task_name": n,
                            "state": TaskState.PENDING.value,
                            "attempts": 0,
                        }
                        for n in task_names
                    ],
                )

    async def update_run(
        self, run_id: str, state: RunState, *, finished_at: float | None, error: str | None
    ) -> None:
        engine = await self._ready()
        if self._fast is not None:
            return await self._fast.update_run(run_id, state, finished_at, error)
        runs = self._tables["runs"]
        async with engine.begin() as conn:
            await conn.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values(state=state.value, finished_at=finished_at, error=error)
            )

    def _task_values(self, task: TaskRecord) -> dict[str, Any]:
        return {
            "state": task.state.value,
            "attempts": task.attempts,
            "started_at": task.started_at,
            "finished_at": task.finished_at,
            "error": task.error,
            "stream_count": task.stream_count,
        }

    async def save_attempt(self, attempt: AttemptRecord, task: TaskRecord) -> None:
        engine = self._engine or await self._ready()
        if self._fast is not None:
            return await self._fast.save_attempt(attempt, task)
        if self._pg is not None:
            return await self._pg.save_attempt(attempt, task)
        attempts, tasks = self._tables["attempts"], self._tables["tasks"]
        key = (
            (attempts.c.run_id == attempt.run_id)
            & (attempts.c.task_name == attempt.task_name)
            & (attempts.c.attempt == attempt.attempt)
        )
        values = {
            "state": attempt.state.value,
            "started_at": attempt.started_at,
            "finished_at": attempt.finished_at,
            "error": attempt.error,
        }
        async with engine.begin() as conn:
            result = await conn.execute(attempts.update().where(key).values(**values))
            if result.rowcount == 0:
                await conn.execute(
                    attempts.insert().values(
                        run_id=attempt.run_id,
                        task_name=attempt.task_name,
                        attempt=attempt.attempt,
                        **values,
                    )
                )
            await self._write_task(conn, tasks, task)

    async def _write_task(self, conn: Any, tasks: Table, task: TaskRecord) -> None:
        key = (tasks.c.run_id == task.run_id) & (tasks.c.task_name == task.task_name)
        result = await conn.execute(tasks.update().where(key).values(**self._task_values(task)))
        if result.rowcount == 0:
            await conn.execute(
                tasks.insert().values(
                    run_id=task.run_id, task_name=task.task_name, **self._task_values(task)
                )
            )

    async def save_task(self, task: TaskRecord) -> None:
        engine = await self._ready()
        if self._fast is not None:
            return await self._fast.save_task(task)
        if self._pg is not None:
            return await self._pg.save_task(task)
        async with engine.begin() as conn:
            await self._write_task(conn, self._tables["tasks"], task)

    # -- reads ---------------------------------------------------------------------------------
    @staticmethod
    def _run(row: Any, tasks: tuple[TaskRecord, ...] = ()) -> RunRecord:
        return RunRecord(
            run_id=row.run_id,
            dag_id=row.dag_id,
            state=RunState(row.state),
            started_at=row.started_at,
            finished_at=row.finished_at,
            error=row.error,
            spec=json.loads(row.spec or "{}"),
            tasks=tasks,
        )

    async def get_run(self, run_id: str) -> RunRecord | None:
        engine = await self._ready()
        runs, tasks = self._tables["runs"], self._tables["tasks"]
        async with engine.connect() as conn:
            row = (await conn.execute(runs.select().where(runs.c.run_id == run_id))).first()
            if row is None:
                return None
            rows = await conn.execute(tasks.select().where(tasks.c.run_id == run_id))
            records = tuple(_record(TaskRecord, r) for r in rows)
        return self._run(row, records)

    async def list_runs(self, limit: int = 20) -> list[RunRecord]:
        engine = await self._ready()
        runs = self._tables["runs"]
        async with engine.connect() as conn:
            rows = await conn.execute(runs.select().order_by(runs.c.started_at.desc()).limit(limit))
            return [self._run(r) for r in rows]

    async def list_attempts(self, run_id: str) -> list[AttemptRecord]:
        engine = await self._ready()
        attempts = self._tables["attempts"]
        query = (
            attempts.select()
            .where(attempts.c.run_id == run_id)
            .order_by(attempts.c.started_at, attempts.c.task_name, attempts.c.attempt)
        )
        async with engine.connect() as conn:
            return [_record(AttemptRecord, r) for r in await conn.execute(query)]

    async def drop_tables(self) -> None:
        """Drop this store's tables (tests and cleanup)."""
        engine = await self._ready()
        from sqlalchemy import MetaData

        md = MetaData()
        for table in self._tables.values():
            table.to_metadata(md)
        async with engine.begin() as conn:
            await conn.run_sync(md.drop_all)

    async def close(self) -> None:
        for fast in (self._fast, self._pg):
            if fast is not None:
                await fast.close()
        self._fast = self._pg = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    def __repr__(self) -> str:
        return f"SqlRunStore({self.url!r})"
