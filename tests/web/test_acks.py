"""Acknowledgements are durable: kept beside the runs, they survive a restart of the server.

A restart is a new app (new stores, new connections) over the same database. Reads create
nothing: the table appears with the first acknowledgement.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfs.pipeline.store import MemoryRunStore, SqlRunStore
from rfs.pipeline.store.acks import MemoryAckStore, SqlAckStore, ack_store_for
from rfs.web import install
from rfs.web.ops import ops_router
from rfs.web.ops_state import OpsState

from ._data import TOKEN, build_world, drop_store_tables

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def serve(state: OpsState) -> httpx.AsyncClient:
    app = install(FastAPI())
    app.include_router(ops_router(token=TOKEN, state=state), prefix="/ops")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def shut(state: OpsState) -> None:
    await state.close()
    if state.run_store is not None:
        await state.run_store.close()


async def restart_round(url: str, prefix: str = "rfs_pipeline_") -> None:
    """Acknowledge on one server; a second server over the same database agrees, and a
    server that never saw the acknowledgement still listed the run before it was made."""
    world = await build_world(SqlRunStore(url, table_prefix=prefix))
    run_id = world.failed_run
    async with serve(world.state) as c:
        before = (await c.get("/ops/attention", headers=AUTH)).json()
        ack = await c.post(f"/ops/runs/{run_id}/ack", headers=AUTH, json={"note": "bad file"})
    await shut(world.state)
    assert [r["id"] for r in before["runs"]] == [run_id]
    assert ack.status_code == 200 and ack.json()["note"] == "bad file"

    restarted = OpsState(run_store=SqlRunStore(url, table_prefix=prefix))
    try:
        async with serve(restarted) as c:
            attention = (await c.get("/ops/attention", headers=AUTH)).json()
            detail = (await c.get(f"/ops/runs/{run_id}", headers=AUTH)).json()
            listed = (await c.get("/ops/runs?state=failed", headers=AUTH)).json()
        assert attention["runs"] == []
        assert detail["acknowledged"] is True
        assert [(r["id"], r["acknowledged"]) for r in listed] == [(run_id, True)]
    finally:
        await shut(restarted)


async def test_acknowledgement_survives_a_restart_sqlite(tmp_path: Path) -> None:
    """SQLite run store: the acknowledgement is in the database file, not the process."""
    path = tmp_path / "runs.db"
    await restart_round(sqlite_url(path))
    assert "rfs_pipeline_acks" in tables(path)


@pytest.mark.service("postgres")
async def test_acknowledgement_survives_a_restart_postgres(postgres_url: str) -> None:
    """PostgreSQL run store: the same, in a table beside the runs (random prefix, dropped)."""
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    try:
        await restart_round(postgres_url, prefix)
    finally:
        await drop_store_tables(postgres_url, prefix)


async def test_reads_create_no_table(tmp_path: Path) -> None:
    """Every read endpoint leaves the database without an acknowledgement table."""
    path = tmp_path / "runs.db"
    world = await build_world(SqlRunStore(sqlite_url(path)))
    try:
        async with serve(world.state) as c:
            for read in ("/ops/attention", "/ops/runs", "/ops/runs?state=failed",
                         f"/ops/runs/{world.failed_run}"):  # fmt: skip
                assert (await c.get(read, headers=AUTH)).status_code == 200
            assert "rfs_pipeline_acks" not in tables(path)
            await c.post(f"/ops/runs/{world.failed_run}/ack", headers=AUTH)
        assert "rfs_pipeline_acks" in tables(path)
    finally:
        await shut(world.state)


async def test_store_reads_create_no_file(tmp_path: Path) -> None:
    """A read of an acknowledgement store whose SQLite file does not exist creates nothing."""
    store = SqlAckStore(sqlite_url(tmp_path / "nowhere" / "runs.db"))
    assert await store.find("run", ["a", "b"]) == {}
    await store.close()
    assert entries(tmp_path) == []


def entries(path: Path) -> list[Path]:
    return list(path.iterdir())


async def test_a_run_that_fails_again_needs_attention_again() -> None:
    """An acknowledgement covers what happened before it: a resume that fails reappears."""
    world = await build_world()
    async with serve(world.state) as c:
        await c.post(f"/ops/runs/{world.failed_run}/resume", headers=AUTH)  # still broken
        await asyncio.gather(*world.state.background)
        attention = (await c.get("/ops/attention", headers=AUTH)).json()
    assert [r["id"] for r in attention["runs"]] == [world.failed_run]


class DownAcks:
    """An acknowledgement store whose database is unreachable."""

    async def acknowledge(self, kind: str, item_id: str, note: str | None = None) -> Any:
        raise ConnectionRefusedError("connect to 10.0.0.5:5432 refused")

    async def find(self, kind: str, ids: Any) -> Any:
        raise ConnectionRefusedError("connect to 10.0.0.5:5432 refused")

    async def close(self) -> None:
        return None


async def test_acknowledgement_store_down_is_a_503() -> None:
    """Acknowledging with the database down answers 503; the attention screen says which
    store is unavailable instead of listing the run as if nobody had acknowledged it."""
    world = await build_world()
    world.state.acks = DownAcks()
    async with serve(world.state) as c:
        ack = await c.post(f"/ops/runs/{world.failed_run}/ack", headers=AUTH)
        attention = await c.get("/ops/attention", headers=AUTH)
    assert ack.status_code == 503 and "10.0.0.5" not in ack.text
    assert attention.status_code == 200  # the saga log still answers
    assert attention.json()["unavailable"] == ["run store"]


def test_store_for_a_run_store() -> None:
    """A SQL run store on a file or server gets a table in its database; memory run stores
    and in-memory SQLite (one database per connection) a memory store."""
    sql = ack_store_for(SqlRunStore("sqlite:///x/runs.db", table_prefix="p_"))
    assert isinstance(sql, SqlAckStore) and sql.url == "sqlite+aiosqlite:///x/runs.db"
    assert sql.table_prefix == "p_"
    assert isinstance(ack_store_for(MemoryRunStore()), MemoryAckStore)
    assert isinstance(ack_store_for(SqlRunStore("sqlite+aiosqlite://")), MemoryAckStore)
    assert isinstance(ack_store_for(None), MemoryAckStore)


_ops = st.lists(
    st.tuples(
        st.sampled_from(["run", "misfire"]),
        st.sampled_from("abcde"),
        st.none() | st.text(max_size=20),
    ),
    max_size=12,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_ops)
def test_sql_store_agrees_with_memory_store(tmp_path: Path, ops: list[Any]) -> None:
    """Any sequence of acknowledgements: the SQL store finds what the memory store finds."""

    async def go() -> None:
        memory = MemoryAckStore()
        sql = SqlAckStore(sqlite_url(tmp_path / f"{uuid.uuid4().hex}.db"))
        try:
            for kind, item, note in ops:
                await memory.acknowledge(kind, item, note)
                await sql.acknowledge(kind, item, note)
            for kind in ("run", "misfire"):
                want = await memory.find(kind, "abcdef")
                got = await sql.find(kind, "abcdef")
                assert {k: a.note for k, a in got.items()} == {k: a.note for k, a in want.items()}
                assert all(a.kind == kind for a in got.values())
        finally:
            await sql.close()

    asyncio.run(go())
