"""Acknowledging one run at the same moment from several servers: every request succeeds.

Two operators, a double click, or two dashboard servers on one database all write the same
acknowledgement row; none of them may answer a 503 for a key conflict.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from rfs.pipeline.store import SqlRunStore
from rfs.web import install
from rfs.web.ops import ops_router
from rfs.web.ops_state import OpsState

from ._data import TOKEN, build_world, drop_store_tables

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SERVERS = 3
CLICKS = 4  # concurrent acknowledgements per server


def serve(state: OpsState) -> httpx.AsyncClient:
    app = install(FastAPI())
    app.include_router(ops_router(token=TOKEN, state=state), prefix="/ops")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def concurrent_round(url: str, prefix: str) -> None:
    world = await build_world(SqlRunStore(url, table_prefix=prefix))
    run_id = world.failed_run
    states = [world.state] + [
        OpsState(run_store=SqlRunStore(url, table_prefix=prefix)) for _ in range(SERVERS - 1)
    ]
    clients = [serve(s) for s in states]
    try:
        answers = await asyncio.gather(
            *(
                c.post(f"/ops/runs/{run_id}/ack", headers=AUTH, json={"note": f"click {i}"})
                for c in clients
                for i in range(CLICKS)
            )
        )
        assert [r.status_code for r in answers] == [200] * (SERVERS * CLICKS), [
            r.text for r in answers if r.status_code != 200
        ]
        for c in clients:
            attention = (await c.get("/ops/attention", headers=AUTH)).json()
            assert attention["runs"] == []
            assert (await c.get(f"/ops/runs/{run_id}", headers=AUTH)).json()["acknowledged"]
    finally:
        for c, s in zip(clients, states, strict=True):
            await c.aclose()
            await s.close()
            if s.run_store is not None:
                await s.run_store.close()


async def test_concurrent_acknowledgements_sqlite(tmp_path: Path) -> None:
    """SQLite file shared by three servers: all twelve acknowledgements answer 200."""
    await concurrent_round(f"sqlite+aiosqlite:///{tmp_path / 'runs.db'}", "rfs_pipeline_")


@pytest.mark.service("postgres")
async def test_concurrent_acknowledgements_postgres(postgres_url: str) -> None:
    """PostgreSQL: the same (a delete-then-insert would hit the primary key and answer 503)."""
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    try:
        await concurrent_round(postgres_url, prefix)
    finally:
        await drop_store_tables(postgres_url, prefix)
