"""The shared database plumbing: data directory, URLs, pragmas and the group-committing writer."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _pgfaults import cut_blocked, cut_mid_statement, terminate
from rfs._database import SqliteGroupWriter, async_url, data_dir, default_url, sqlite_file
from rfs._pgwriter import AsyncpgGroupWriter

ROOT = Path(__file__).resolve().parents[1]


def test_data_dir_defaults_to_dot_rfs_and_follows_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Default state goes to ``.rfs``; ``RFS_DATA_DIR`` moves it; a subsystem URL still wins."""
    monkeypatch.delenv("RFS_DATA_DIR", raising=False)
    monkeypatch.delenv("RFS_RUN_STORE_URL", raising=False)
    assert data_dir() == Path(".rfs")
    assert default_url("runs.db", "RFS_RUN_STORE_URL") == "sqlite+aiosqlite:///.rfs/runs.db"
    monkeypatch.setenv("RFS_DATA_DIR", str(tmp_path))
    assert default_url("x.db") == f"sqlite+aiosqlite:///{tmp_path}/x.db"
    monkeypatch.setenv("RFS_RUN_STORE_URL", "postgresql://u@h/db")
    assert default_url("runs.db", "RFS_RUN_STORE_URL") == "postgresql://u@h/db"


def test_plain_urls_get_async_drivers() -> None:
    """``sqlite://`` and ``postgres(ql)://`` get aiosqlite/asyncpg; named drivers are kept."""
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert async_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"
    assert async_url("mysql://u@h/d") == "mysql://u@h/d"


@given(st.text(max_size=60))
def test_sqlite_file_never_crashes(url: str) -> None:
    """Any text gives a path or ``None``; only SQLite file URLs give a path."""
    path = sqlite_file(url)
    assert path is None or url.partition("://")[0].startswith("sqlite")


def test_sqlite_file_paths() -> None:
    """Relative and absolute files are found; memory databases are not files."""
    assert sqlite_file("sqlite+aiosqlite:///.rfs/runs.db") == ".rfs/runs.db"
    assert sqlite_file("sqlite:////tmp/a.db?timeout=3") == "/tmp/a.db"
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql://h/db") is None


@pytest.mark.parametrize("inline", [False, True])
async def test_group_writer_commits_a_burst_in_order_and_isolates_a_failure(
    tmp_path: Path, inline: bool
) -> None:
    """Concurrent writes all commit in queue order; one that raises is undone alone."""
    writer = SqliteGroupWriter(str(tmp_path / "sub" / "w.db"), inline=inline)
    await writer.write(lambda con: con.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)"))

    def insert(n: int) -> object:
        return lambda con: con.execute("INSERT INTO t VALUES (?)", (n,)).rowcount

    results = await asyncio.gather(
        *(writer.write(insert(n)) for n in range(200)),
        writer.write(insert(5)),  # duplicate key: fails, the others stay
        return_exceptions=True,
    )
    assert results[:200] == [1] * 200
    assert isinstance(results[200], sqlite3.IntegrityError)
    await writer.close()
    with sqlite3.connect(tmp_path / "sub" / "w.db") as con:
        assert [n for (n,) in con.execute("SELECT n FROM t ORDER BY rowid")] == list(range(200))
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_a_failing_write_does_not_apply_the_others_of_its_batch_twice(
    tmp_path: Path,
) -> None:
    """A batch that fails is run again with a savepoint per write: non-idempotent writes
    beside the failing one still take effect exactly once."""
    writer = SqliteGroupWriter(str(tmp_path / "c.db"))
    await writer.write(lambda con: con.execute("CREATE TABLE c (n INTEGER NOT NULL)"))
    await writer.write(lambda con: con.execute("INSERT INTO c VALUES (0)"))

    def bump(con: sqlite3.Connection) -> int:
        con.execute("UPDATE c SET n = n + 1")
        return int(con.execute("SELECT n FROM c").fetchone()[0])

    def fail(con: sqlite3.Connection) -> None:
        con.execute("UPDATE c SET n = n + 1000")  # undone with its savepoint
        raise ValueError("this write fails")

    for rounds in range(1, 6):
        writes = [writer.write(bump) for _ in range(20)]
        writes.insert(7, writer.write(fail))
        results = await asyncio.gather(*writes, return_exceptions=True)
        assert isinstance(results.pop(7), ValueError)
        assert results == list(range(20 * (rounds - 1) + 1, 20 * rounds + 1))
    assert await writer.write(lambda con: con.execute("SELECT n FROM c").fetchone()[0]) == 100
    await writer.close()


def test_inline_writer_keeps_each_callers_order_under_threads(tmp_path: Path) -> None:
    """Inline commits and thread hand-offs mix when three event loops write at once: every
    write lands, each loop's writes in the order it made them."""
    import threading

    path = str(tmp_path / "w.db")
    writer = SqliteGroupWriter(path, inline=True)
    asyncio.run(writer.write(lambda con: con.execute("CREATE TABLE t (who, n)")))

    async def burst(who: int) -> None:
        for n in range(300):
            await writer.write(
                lambda con, n=n: con.execute("INSERT INTO t VALUES (?, ?)", (who, n))
            )
            if n % 7 == 0:
                await asyncio.gather(*(writer.write(lambda con: None) for _ in range(3)))

    threads = [threading.Thread(target=asyncio.run, args=(burst(w),)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    asyncio.run(writer.close())
    with sqlite3.connect(path) as con:
        for who in range(3):
            rows = con.execute("SELECT n FROM t WHERE who = ? ORDER BY rowid", (who,))
            assert [n for (n,) in rows] == list(range(300))


@pytest.mark.slow
def test_defaults_write_only_under_the_data_dir(tmp_path: Path) -> None:
    """The saga default is durable; it, the scheduler store, tx and ``rfs run`` use the data dir."""
    script = """
import asyncio
from rfs.saga.log import SagaLog
from rfs.scheduler import SQLStateStore
from rfs.tx import get_manager
from sqlalchemy import text

async def main():
    from rfs.saga import Saga, default_log
    saga = Saga("default-is-durable")
    saga.add_step("a", lambda ctx: None)
    assert (await saga.execute({}, execution_id="d1")).is_success()
    assert await default_log().load("d1") is not None
    await default_log().close()
    async with SagaLog() as log:
        assert await log.load("d1") is not None
    store = SQLStateStore()
    await store.load_all()
    await store.close()
    async with get_manager().engine.begin() as conn:
        await conn.execute(text("SELECT 1"))
    await get_manager().dispose()

asyncio.run(main())
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFS_")}
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run([sys.executable, "-c", script], cwd=work, env=env, check=True, timeout=120)
    subprocess.run(
        [str(Path(sys.executable).with_name("rfs")), "run", str(ROOT / "examples/etl/pipeline.py")],
        cwd=work,
        env=env,
        check=True,
        timeout=180,
        capture_output=True,
    )
    assert sorted(p.name for p in work.iterdir()) == [".rfs"]
    names = {p.name for p in (work / ".rfs").iterdir()}
    assert {"sagas.db", "scheduler.db", "rfs.db", "runs.db", "outputs"} <= names
    elsewhere = tmp_path / "data"
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=work,
        env={**env, "RFS_DATA_DIR": str(elsewhere)},
        check=True,
        timeout=120,
    )
    assert {"sagas.db", "scheduler.db", "rfs.db"} <= {p.name for p in elsewhere.iterdir()}


@pytest.fixture
async def pg_table(postgres_url: str) -> AsyncIterator[tuple[str, str]]:
    """A fresh table ``(seq bigserial, n int primary key)`` on the test server; dropped after."""
    import asyncpg

    dsn = postgres_url.replace("+asyncpg", "")
    table = f"w{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(dsn)
    await admin.execute(f"CREATE TABLE {table} (seq bigserial, n int PRIMARY KEY)")
    try:
        yield dsn, table
    finally:
        await admin.execute(f"DROP TABLE {table}")
        await admin.close()


async def _pg_rows(dsn: str, sql: str) -> list[Any]:
    import asyncpg

    con = await asyncpg.connect(dsn)
    try:
        return [tuple(r) for r in await con.fetch(sql)]
    finally:
        await con.close()


@pytest.mark.service("postgres")
async def test_pg_group_writer_shares_commits_in_order(pg_table: tuple[str, str]) -> None:
    """A burst of writes lands in queue order in far fewer transactions than writes, and each
    ``fetchval`` gets its own statement's value."""
    dsn, table = pg_table
    writer = AsyncpgGroupWriter(dsn)
    insert = f"INSERT INTO {table} (n) VALUES ($1)"
    returning = f"INSERT INTO {table} (n) VALUES ($1) RETURNING n * 10"
    results = await asyncio.gather(
        *(
            (writer.fetchval(returning, (n,)) if n % 50 == 0 else writer.write(insert, (n,)))
            for n in range(300)
        )
    )
    await writer.close()
    assert results == [n * 10 if n % 50 == 0 else None for n in range(300)]
    rows = await _pg_rows(dsn, f"SELECT n FROM {table} ORDER BY seq")
    assert [n for (n,) in rows] == list(range(300))
    [(transactions,)] = await _pg_rows(dsn, f"SELECT count(DISTINCT xmin::text) FROM {table}")
    assert transactions <= 10


@pytest.mark.service("postgres")
async def test_pg_group_writer_fails_only_the_refused_write(pg_table: tuple[str, str]) -> None:
    """In a burst, a duplicate key and a division by zero raise to their own callers only."""
    import asyncpg

    dsn, table = pg_table
    writer = AsyncpgGroupWriter(dsn)
    insert = f"INSERT INTO {table} (n) VALUES ($1)"
    results = await asyncio.gather(
        *(writer.write(insert, (n,)) for n in range(100)),
        writer.write(insert, (7,)),
        writer.fetchval(f"INSERT INTO {table} (n) VALUES (1 / $1) RETURNING n", (0,)),
        *(writer.write(insert, (n,)) for n in range(100, 150)),
        return_exceptions=True,
    )
    await writer.close()
    assert results[:100] == [None] * 100 and results[102:] == [None] * 50
    assert isinstance(results[100], asyncpg.UniqueViolationError)
    assert isinstance(results[101], asyncpg.DivisionByZeroError)
    rows = await _pg_rows(dsn, f"SELECT n FROM {table} ORDER BY seq")
    assert [n for (n,) in rows] == list(range(150))


@pytest.mark.service("postgres")
async def test_pg_group_writer_applies_server_settings_and_reconnects(postgres_url: str) -> None:
    """``server_settings`` hold on the writer's connection, also on the one it opens after the
    server dropped the first."""
    import asyncpg

    dsn = postgres_url.replace("+asyncpg", "")
    writer = AsyncpgGroupWriter(dsn, server_settings={"synchronous_commit": "off"})
    setting = "SELECT current_setting('synchronous_commit')"
    assert await writer.fetchval(setting, ()) == "off"
    pid = await writer.fetchval("SELECT pg_backend_pid()", ())
    admin = await asyncpg.connect(dsn)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    for _ in range(100):  # until the client has seen its connection go
        await asyncio.sleep(0.01)
        try:
            again = await writer.fetchval("SELECT pg_backend_pid()", ())
            break
        except (asyncpg.PostgresConnectionError, asyncpg.AdminShutdownError):
            continue  # in flight when the link went: raised, not sent again
    assert again != pid
    assert await writer.fetchval(setting, ()) == "off"
    await writer.close()


@pytest.mark.service("postgres")
async def test_pg_group_writer_close_waits_for_queued_writes(pg_table: tuple[str, str]) -> None:
    """Closing while writes are queued and in flight commits them all first."""
    dsn, table = pg_table
    writer = AsyncpgGroupWriter(dsn)
    insert = f"INSERT INTO {table} (n) VALUES ($1)"
    writes = [asyncio.ensure_future(writer.write(insert, (n,))) for n in range(50)]
    await asyncio.sleep(0)  # the first is in flight, the others queued
    await writer.close()
    assert all(w.done() and w.exception() is None for w in writes)
    [(count,)] = await _pg_rows(dsn, f"SELECT count(*) FROM {table}")
    assert count == 50


def _not_resent(exc: BaseException | None) -> bool:
    """Whether ``exc`` is a lost link the writer did not send again, saying so."""
    import asyncpg

    lost = isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.AdminShutdownError)
    return lost and any("was not sent again" in note for note in getattr(exc, "__notes__", []))


async def _sleeping(admin: Any, pid: int, query: str) -> None:
    """Wait until backend ``pid`` sleeps in ``pg_sleep`` in a statement starting ``query``."""
    for _ in range(1000):
        if await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE pid = $1 AND wait_event = 'PgSleep' AND query LIKE $2",
            pid,
            f"{query}%",
        ):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"backend {pid} never slept in {query}")


@pytest.mark.service("postgres")
async def test_pg_group_writer_resends_only_idempotent_writes_whose_commit_landed(
    pg_table: tuple[str, str],
) -> None:
    """The server ends the writer's session after a lone write committed, before it answered:
    an idempotent write is sent once more (its caller returns, the row is there once); any
    other is not sent again (its caller gets the lost link, with a note; the row is there)."""
    import asyncpg

    dsn, table = pg_table
    admin = await asyncpg.connect(dsn)
    # counts its calls, commits its upsert, then sleeps if it inserted (the first call only)
    await admin.execute(
        f"CREATE SEQUENCE {table}_calls; SELECT nextval('{table}_calls');"
        f" CREATE PROCEDURE {table}_put(k int) LANGUAGE plpgsql"
        f" AS $$ BEGIN PERFORM nextval('{table}_calls');"
        f" INSERT INTO {table} (n) VALUES (k) ON CONFLICT (n) DO NOTHING;"
        " IF FOUND THEN COMMIT; PERFORM pg_sleep(60); END IF; END $$"
    )
    writer = AsyncpgGroupWriter(dsn)
    try:
        outcomes = []
        for n, idempotent in ((1, False), (2, True)):
            pid = await writer.fetchval("SELECT pg_backend_pid()", ())
            calls = await admin.fetchval(f"SELECT last_value FROM {table}_calls")
            sql = f"CALL {table}_put($1)"
            put = asyncio.ensure_future(writer.write(sql, (n,), idempotent=idempotent))
            await _sleeping(admin, pid, sql)
            assert await admin.fetchval(f"SELECT count(*) FROM {table} WHERE n = $1", n) == 1
            await terminate(admin, pid)
            [outcome] = await asyncio.gather(put, return_exceptions=True)
            sent = await admin.fetchval(f"SELECT last_value FROM {table}_calls") - calls
            outcomes.append((outcome if outcome is None else _not_resent(outcome), sent))
        assert outcomes == [(True, 1), (None, 2)]
        assert await _pg_rows(dsn, f"SELECT n FROM {table} ORDER BY n") == [(1,), (2,)]
    finally:
        await writer.close()
        await admin.execute(f"DROP PROCEDURE {table}_put; DROP SEQUENCE {table}_calls")
        await admin.close()


@pytest.mark.service("postgres")
async def test_pg_group_writer_cut_lone_write(pg_table: tuple[str, str]) -> None:
    """A lone write (the writer idle: the caller's task, autocommit) in flight when the session
    ends may have landed: sent once more if idempotent, else not sent again; a write lost on
    its second sending too fails, saying so."""
    dsn, table = pg_table
    writer = AsyncpgGroupWriter(dsn)
    upsert = f"INSERT INTO {table} (n) VALUES ($1) ON CONFLICT (n) DO NOTHING"
    lock = f"LOCK TABLE {table} IN EXCLUSIVE MODE"
    for n, idempotent in ((1, False), (2, True)):
        async with cut_mid_statement(dsn, lock) as admin:
            write = asyncio.ensure_future(writer.write(upsert, (n,), idempotent=idempotent))
            assert not (await cut_blocked(admin)).batch
        [result] = await asyncio.gather(write, return_exceptions=True)
        assert _not_resent(result) if n == 1 else result is None
    async with cut_mid_statement(dsn, lock) as admin:
        write = asyncio.ensure_future(writer.write(upsert, (3,), idempotent=True))
        first = await cut_blocked(admin)
        second = await cut_blocked(admin)  # the write sent again, waiting on the same lock
    assert first.pid != second.pid and first.query == second.query == upsert
    [result] = await asyncio.gather(write, return_exceptions=True)
    assert any("second sending" in note for note in getattr(result, "__notes__", []))
    await writer.close()
    assert await _pg_rows(dsn, f"SELECT n FROM {table}") == [(2,)]


def _burst(writer: AsyncpgGroupWriter, table: str) -> list[asyncio.Future[Any]]:
    """Writes of 10..29 on ``writer``: plain inserts of multiples of 3 (not idempotent),
    upserts of the others (idempotent), 16 through ``fetchval`` (``RETURNING n * 10``)."""
    insert = f"INSERT INTO {table} (n) VALUES ($1)"
    upsert = f"INSERT INTO {table} (n) VALUES ($1) ON CONFLICT (n) DO NOTHING"
    returning = (
        f"INSERT INTO {table} (n) VALUES ($1) ON CONFLICT (n) DO UPDATE SET n = EXCLUDED.n"
        " RETURNING n * 10"
    )
    return [
        asyncio.ensure_future(
            writer.fetchval(returning, (n,), idempotent=True)
            if n == 16
            else writer.write(insert if n % 3 == 0 else upsert, (n,), idempotent=n % 3 != 0)
        )
        for n in range(10, 30)
    ]


@pytest.mark.service("postgres")
async def test_pg_group_writer_cut_mid_batch_sends_it_again_whole(
    pg_table: tuple[str, str],
) -> None:
    """A batch cut before its COMMIT was sent committed nothing: all of it, idempotent or not,
    is sent once more in its order on a fresh connection, and every caller returns; cut on
    that second sending too, it fails, saying so."""
    dsn, table = pg_table
    writer = AsyncpgGroupWriter(dsn)
    insert = f"INSERT INTO {table} (n) VALUES ($1)"
    pid = await writer.fetchval("SELECT pg_backend_pid()", ())
    async with cut_mid_statement(dsn, f"LOCK TABLE {table} IN EXCLUSIVE MODE") as admin:
        first = asyncio.ensure_future(writer.write("SELECT 1", ()))
        await asyncio.sleep(0)  # in flight alone: what follows is queued into one batch
        writes = _burst(writer, table)
        cut = await cut_blocked(admin)
    assert cut.pid == pid and cut.batch
    await first
    results = await asyncio.gather(*writes)
    assert results == [160 if n == 16 else None for n in range(10, 30)]
    rows = await _pg_rows(dsn, f"SELECT n FROM {table} ORDER BY seq")
    assert [n for (n,) in rows] == list(range(10, 30))
    assert await writer.fetchval("SELECT pg_backend_pid()", ()) != pid
    async with cut_mid_statement(dsn, f"LOCK TABLE {table} IN EXCLUSIVE MODE") as admin:
        first = asyncio.ensure_future(writer.write("SELECT 1", ()))
        await asyncio.sleep(0)
        again = [asyncio.ensure_future(writer.write(insert, (n,))) for n in range(40, 45)]
        cuts = [await cut_blocked(admin), await cut_blocked(admin)]  # sent twice, cut twice
    assert all(cut.batch for cut in cuts)
    await first
    for result in await asyncio.gather(*again, return_exceptions=True):
        assert any("batch was sent again" in note for note in getattr(result, "__notes__", []))
    await writer.close()
    assert len(await _pg_rows(dsn, f"SELECT n FROM {table}")) == 20


@pytest.mark.service("postgres")
async def test_pg_group_writer_cut_during_commit_resends_only_idempotent_writes(
    pg_table: tuple[str, str],
) -> None:
    """A batch whose COMMIT was in flight when the session ended may have landed: its
    idempotent writes are sent once more (a ``fetchval`` gets its value), the others fail
    with the lost link and are not sent again; the writer goes on."""
    import asyncpg

    dsn, table = pg_table
    admin = await asyncpg.connect(dsn)
    # a deferred trigger runs at COMMIT: its first firing sleeps
    await admin.execute(
        f"CREATE SEQUENCE {table}_fired; CREATE FUNCTION {table}_slow() RETURNS trigger"
        f" LANGUAGE plpgsql AS $$ BEGIN IF nextval('{table}_fired') = 1 THEN"
        " PERFORM pg_sleep(60); END IF; RETURN NULL; END $$;"
        f" CREATE CONSTRAINT TRIGGER {table}_slow AFTER INSERT ON {table}"
        f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {table}_slow()"
    )
    writer = AsyncpgGroupWriter(dsn)
    try:
        pid = await writer.fetchval("SELECT pg_backend_pid()", ())
        first = asyncio.ensure_future(writer.write("SELECT 1", ()))
        await asyncio.sleep(0)  # in flight alone: what follows is queued into one batch
        writes = _burst(writer, table)
        await _sleeping(admin, pid, "COMMIT")
        await terminate(admin, pid)
        await first
        results = await asyncio.gather(*writes, return_exceptions=True)
        for n, result in zip(range(10, 30), results, strict=True):
            if n % 3 == 0:
                assert _not_resent(result), (n, result)
            else:
                assert result == (160 if n == 16 else None), (n, result)
        rows = await _pg_rows(dsn, f"SELECT n FROM {table} ORDER BY seq")
        assert [n for (n,) in rows] == [n for n in range(10, 30) if n % 3 != 0]
        await writer.write(f"INSERT INTO {table} (n) VALUES ($1)", (99,))  # on a fresh link
    finally:
        await writer.close()
        await admin.execute(
            f"DROP TRIGGER {table}_slow ON {table}; DROP FUNCTION {table}_slow();"
            f" DROP SEQUENCE {table}_fired"
        )
        await admin.close()
