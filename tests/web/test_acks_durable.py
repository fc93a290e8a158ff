"""Acknowledgements live in the run store's database: they survive a restart of the server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rfs.pipeline.io.memory import MemoryIOManager
from rfs.pipeline.registry import TaskRegistry
from rfs.pipeline.runner import run_pipeline
from rfs.pipeline.store import Acknowledgements, MemoryRunStore, SqlRunStore
from rfs.web import install
from rfs.web.ops import ops_router

from ._data import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def failed_run(store: Any) -> str:
    registry = TaskRegistry()

    @registry.task(max_retries=0)
    def breaks() -> int:
        raise RuntimeError("broke")

    outcome = await run_pipeline(
        registry=registry, tasks=["breaks"], run_store=store, io_manager=MemoryIOManager()
    )
    return outcome.error.run_id


def server(store: Any) -> httpx.AsyncClient:
    """A fresh app (as after a restart) over ``store``."""
    app = install(FastAPI())
    app.include_router(ops_router(token=TOKEN, run_store=store), prefix="/ops")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def attention_runs(store: Any) -> list[str]:
    async with server(store) as c:
        return [r["id"] for r in (await c.get("/ops/attention", headers=AUTH)).json()["runs"]]


async def acknowledge_then_restart(open_store: Any) -> None:
    first = open_store()
    run_id = await failed_run(first)
    assert await attention_runs(first) == [run_id]
    async with server(first) as c:
        ack = await c.post(f"/ops/runs/{run_id}/ack", headers=AUTH, json={"note": "paged"})
    assert ack.status_code == 200
    await first.close()

    again = open_store()  # the server restarted: a new store on the same database
    try:
        assert await attention_runs(again) == []
        async with server(again) as c:
            detail = (await c.get(f"/ops/runs/{run_id}", headers=AUTH)).json()
            listed = (await c.get("/ops/runs?state=failed", headers=AUTH)).json()
        assert detail["acknowledged"] is True
        assert [(r["id"], r["acknowledged"]) for r in listed] == [(run_id, True)]
    finally:
        await again.close()


async def test_acknowledgement_survives_restart_on_sqlite(tmp_path: Path) -> None:
    """Acknowledge on one server; a new server on the same SQLite file still has it."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'runs.db'}"
    await acknowledge_then_restart(lambda: SqlRunStore(url))


@pytest.mark.service("postgres")
async def test_acknowledgement_survives_restart_on_postgres(postgres_url: str) -> None:
    """The same on PostgreSQL, in tables with a random prefix (dropped afterwards)."""
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    try:
        await acknowledge_then_restart(lambda: SqlRunStore(postgres_url, table_prefix=prefix))
    finally:
        cleanup = SqlRunStore(postgres_url, table_prefix=prefix)
        await cleanup.drop_tables()
        await cleanup.close()


async def test_sql_and_memory_stores_keep_acknowledgements() -> None:
    """Both built-in stores keep acknowledgements; the latest note wins, others stay unacked."""
    for store in (MemoryRunStore(), SqlRunStore("sqlite+aiosqlite:///:memory:")):
        assert isinstance(store, Acknowledgements)
        await store.acknowledge("r1", "first", 1.0)
        await store.acknowledge("r1", "second", 2.0)
        assert await store.acknowledged(["r1", "r2"]) == {"r1"}
        assert await store.acknowledged([]) == set()
        await store.close()


async def test_store_without_acknowledgements_keeps_them_in_the_server() -> None:
    """A custom run store without ``acknowledge`` still works: acks are kept in the process."""

    class Plain(MemoryRunStore):
        acknowledge = None  # type: ignore[assignment]
        acknowledged = None  # type: ignore[assignment]

    store = Plain()
    assert not isinstance(store, Acknowledgements)
    run_id = await failed_run(store)
    async with server(store) as c:
        await c.post(f"/ops/runs/{run_id}/ack", headers=AUTH)
        after = (await c.get("/ops/attention", headers=AUTH)).json()["runs"]
    assert after == []
