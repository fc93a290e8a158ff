"""Misfires are their own "needs attention" category, with an acknowledge of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from rfs.scheduler import FakeClock, Scheduler
from rfs.web import install
from rfs.web.ops import ops_router

from ._data import MISFIRED, TOKEN, World, build_world, misfire_again, misfired_scheduler

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def world() -> AsyncIterator[tuple[World, Scheduler, FakeClock]]:
    world = await build_world()
    scheduler, clock = await misfired_scheduler()
    world.state.scheduler = scheduler
    try:
        yield world, scheduler, clock
    finally:
        await scheduler.stop()


def client(world: World) -> httpx.AsyncClient:
    app = install(FastAPI())
    app.include_router(ops_router(token=TOKEN, state=world.state), prefix="/ops")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_misfire_is_listed_until_acknowledged_and_again_after_a_new_one(
    world: tuple[World, Scheduler, FakeClock],
) -> None:
    """The misfired trigger is listed (not as a failing trigger); acknowledging removes it;
    a misfire after the acknowledgement lists it again."""
    w, scheduler, clock = world
    async with client(w) as c:
        first = (await c.get("/ops/attention", headers=AUTH)).json()
        ack = await c.post(f"/ops/triggers/{MISFIRED}/misfires/ack", headers=AUTH,
                           json={"note": "planned downtime"})  # fmt: skip
        after = (await c.get("/ops/attention", headers=AUTH)).json()
        await misfire_again(scheduler, clock)
        again = (await c.get("/ops/attention", headers=AUTH)).json()
        listed = (await c.get("/ops/triggers", headers=AUTH)).json()
    assert [(m["name"], m["misfires"]) for m in first["misfires"]] == [(MISFIRED, 1)]
    assert first["misfires"][0]["last_misfire_time"] is not None
    assert first["triggers"] == []  # a misfire is not a failure
    assert ack.status_code == 200 and ack.json()["note"] == "planned downtime"
    assert after["misfires"] == []
    assert [(m["name"], m["misfires"]) for m in again["misfires"]] == [(MISFIRED, 2)]
    assert listed[0]["misfires"] == 2


async def test_misfire_ack_of_unknown_trigger_is_404_and_needs_the_token(
    world: tuple[World, Scheduler, FakeClock],
) -> None:
    """Unknown trigger → 404 problem; no token → 401; no scheduler → 501."""
    w, _, _ = world
    async with client(w) as c:
        unknown = await c.post("/ops/triggers/nope/misfires/ack", headers=AUTH)
        anonymous = await c.post(f"/ops/triggers/{MISFIRED}/misfires/ack")
    w.state.scheduler = None
    async with client(w) as c:
        absent = await c.post(f"/ops/triggers/{MISFIRED}/misfires/ack", headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert anonymous.status_code == 401 and absent.status_code == 501
