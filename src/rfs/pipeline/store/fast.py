"""The run store's writes on a SQLite file, as plain statements on the group-committing writer.

SQLAlchemy's async layer costs several milliseconds per task attempt (a transaction per
write, each its own commit); these statements cost a few microseconds each and concurrent
attempts share one commit. Each call returns once its transaction is committed, so a task
is recorded succeeded only after the I/O manager has stored its output (the driver saves the
attempt after the output is written) and the record is durable when ``save_attempt`` returns.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from rfs._database import SqliteGroupWriter
from rfs.pipeline.store.base import AttemptRecord, RunRecord, RunState, TaskRecord, TaskState

_TASK_COLUMNS = "state, attempts, started_at, finished_at, error, stream_count"


class FastWrites:
    """The run store's four writes for one SQLite file; ``names`` are the quoted table names."""

    def __init__(self, path: str, names: Mapping[str, str]) -> None:
        self._writer = SqliteGroupWriter(path, name="rfs-run-store")
        runs, tasks, attempts = names["runs"], names["tasks"], names["attempts"]
        self._insert_run = (
            f"INSERT INTO {runs} (run_id, dag_id, state, started_at, finished_at, error, spec)"  # nosec B608
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        self._insert_pending = (
            f"INSERT INTO {tasks} (run_id, task_name, state, attempts) VALUES (?, ?, ?, 0)"  # nosec B608
        )
        self._update_run = (
            f"UPDATE {runs} SET state = ?, finished_at = ?, error = ? WHERE run_id = ?"  # nosec B608
        )
        self._upsert_task = (
            f"INSERT INTO {tasks} (run_id, task_name, {_TASK_COLUMNS})"  # nosec B608
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, task_name) DO UPDATE SET"
            " state = excluded.state, attempts = excluded.attempts,"
            " started_at = excluded.started_at, finished_at = excluded.finished_at,"
            " error = excluded.error, stream_count = excluded.stream_count"
        )
        self._upsert_attempt = (
            f"INSERT INTO {attempts}"  # nosec B608 - quoted table names
            " (run_id, task_name, attempt, state, started_at, finished_at, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, task_name, attempt) DO UPDATE SET"
            " state = excluded.state, started_at = excluded.started_at,"
            " finished_at = excluded.finished_at, error = excluded.error"
        )

    async def create_run(self, run: RunRecord, task_names: list[str]) -> None:
        row = (
            run.run_id,
            run.dag_id,
            run.state.value,
            run.started_at,
            run.finished_at,
            run.error,
            json.dumps(run.spec),
        )
        pending = [(run.run_id, name, TaskState.PENDING.value) for name in task_names]

        def write(con: sqlite3.Connection) -> None:
            con.execute(self._insert_run, row)
            con.executemany(self._insert_pending, pending)

        await self._writer.write(write)

    async def update_run(
        self, run_id: str, state: RunState, finished_at: float | None, error: str | None
    ) -> None:
        row = (state.value, finished_at, error, run_id)
        await self._writer.write(lambda con: con.execute(self._update_run, row))

    @staticmethod
    def _task_row(task: TaskRecord) -> tuple[object, ...]:
        return (
            task.run_id,
            task.task_name,
            task.state.value,
            task.attempts,
            task.started_at,
            task.finished_at,
            task.error,
            task.stream_count,
        )

    async def save_attempt(self, attempt: AttemptRecord, task: TaskRecord) -> None:
        a = attempt
        row = (
            a.run_id,
            a.task_name,
            a.attempt,
            a.state.value,
            a.started_at,
            a.finished_at,
            a.error,
        )
        task_row = self._task_row(task)
        upsert_attempt, upsert_task = self._upsert_attempt, self._upsert_task

        def write(con: sqlite3.Connection) -> None:
            con.execute(upsert_attempt, row)
            con.execute(upsert_task, task_row)

        await self._writer.write(write)

    async def save_task(self, task: TaskRecord) -> None:
        row = self._task_row(task)
        await self._writer.write(lambda con: con.execute(self._upsert_task, row))

    async def close(self) -> None:
        await self._writer.close()


class PgWrites:
    """The hot writes (attempts, tasks) on PostgreSQL: one statement each, group-committed.

    Both are upserts that set every column they write from their arguments (the attempt's
    row, then the task's, keyed by their primary keys), so running one twice leaves what
    running it once does: they are sent as ``idempotent`` and a write caught by a lost
    connection is sent once more on a fresh one instead of failing the run.
    """

    def __init__(self, dsn: str, names: Mapping[str, str]) -> None:
        from rfs._pgwriter import AsyncpgGroupWriter

        self._writer = AsyncpgGroupWriter(dsn)
        tasks, attempts = names["tasks"], names["attempts"]
        self._upsert_task = (
            f"INSERT INTO {tasks} (run_id, task_name, {_TASK_COLUMNS})"  # nosec B608
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id, task_name) DO UPDATE"
            " SET state = EXCLUDED.state, attempts = EXCLUDED.attempts,"
            " started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,"
            " error = EXCLUDED.error, stream_count = EXCLUDED.stream_count"
        )
        self._save_attempt = (
            f"WITH a AS (INSERT INTO {attempts}"  # nosec B608 - quoted table names
            " (run_id, task_name, attempt, state, started_at, finished_at, error)"
            " VALUES ($1, $2, $9, $10, $11, $12, $13)"
            " ON CONFLICT (run_id, task_name, attempt) DO UPDATE SET state = EXCLUDED.state,"
            " started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,"
            " error = EXCLUDED.error) " + self._upsert_task
        )

    async def save_attempt(self, attempt: AttemptRecord, task: TaskRecord) -> None:
        a = attempt
        args = (
            *FastWrites._task_row(task),
            a.attempt,
            a.state.value,
            a.started_at,
            a.finished_at,
            a.error,
        )
        await self._writer.write(self._save_attempt, args, idempotent=True)

    async def save_task(self, task: TaskRecord) -> None:
        await self._writer.write(self._upsert_task, FastWrites._task_row(task), idempotent=True)

    async def close(self) -> None:
        await self._writer.close()
