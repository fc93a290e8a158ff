"""The issue's "Faults and bad input" list, over every ops endpoint at once.

Each mutating route of the dashboard app (found from the app, so new ones are covered) answers
401 without the token before a byte of its body is received; bodies over the cap answer 413,
also when chunked; unknown ids 404 problems; stores that are down 503 problems.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from rfs.web.dashboard import create_app

from ._data import MISFIRED, TOKEN, World, build_world, misfired_scheduler

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROBLEM = "application/problem+json"


@pytest.fixture
async def world() -> AsyncIterator[World]:
    world = await build_world()
    scheduler, _ = await misfired_scheduler()
    world.state.scheduler = scheduler
    try:
        yield world
    finally:
        await scheduler.stop()


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def mutations(app: Any, world: World) -> list[str]:
    """The path of every POST endpoint in ``app``'s schema, with real ids filled in."""
    ids = {"run_id": world.failed_run, "name": MISFIRED, "execution_id": world.failed_saga}
    paths = app.openapi()["paths"]
    return sorted(path.format(**ids) for path, ops in paths.items() if "post" in ops)


async def test_every_mutation_is_401_before_its_body_is_read(world: World) -> None:
    """No token, or a wrong one: 401 problem, and the app never asked for the body."""
    app = create_app(token=TOKEN, state=world.state)
    paths = mutations(app, world)
    expected = {f"/ops/runs/{world.failed_run}/{verb}" for verb in ("ack", "resume", "rerun")}
    expected |= {
        f"/ops/scheduler/triggers/{MISFIRED}/{verb}" for verb in ("fire", "pause", "resume")
    }
    expected |= {"/ops/sagas/recover", "/ops/monitoring/alerts/configure",
                 f"/ops/triggers/{MISFIRED}/misfires/ack"}  # fmt: skip
    assert set(paths) == expected
    received: list[str] = []

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        async def counting() -> Any:
            received.append(scope["path"])
            return await receive()

        await app(scope, counting, send)

    async with client(asgi) as c:
        for path in paths:
            for headers in ({}, {"Authorization": "Bearer wrong-token-123"}):
                r = await c.post(path, content=b'{"note": "x"}' * 10_000, headers=headers)
                assert r.status_code == 401, path
    assert received == []


async def chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 1000):
        yield b" " * 1000


@pytest.mark.parametrize("chunked", [False, True])
async def test_oversized_bodies_are_413(world: World, chunked: bool) -> None:
    """Over the cap, with a Content-Length or chunked without one: 413 problem."""
    app = create_app(token=TOKEN, state=world.state, max_body_size=4096)
    paths = [f"/ops/runs/{world.failed_run}/ack", f"/ops/triggers/{MISFIRED}/misfires/ack",
             "/ops/monitoring/alerts/configure"]  # fmt: skip
    async with client(app) as c:
        for path in paths:
            body: Any = chunks(20_000) if chunked else b" " * 20_000
            r = await c.post(path, content=body, headers=AUTH)
            assert r.status_code == 413, path
            assert r.headers["content-type"] == PROBLEM


async def test_unknown_ids_are_404_problems(world: World) -> None:
    """Every endpoint taking an id answers an unknown one with a 404 problem."""
    app = create_app(token=TOKEN, state=world.state)
    async with client(app) as c:
        answers = [
            await c.get("/ops/runs/nope", headers=AUTH),
            await c.get("/ops/sagas/nope", headers=AUTH),
            await c.post("/ops/runs/nope/ack", headers=AUTH),
            await c.post("/ops/runs/nope/resume", headers=AUTH),
            await c.post("/ops/runs/nope/rerun", headers=AUTH),
            await c.post("/ops/triggers/nope/misfires/ack", headers=AUTH),
        ]
    assert [r.status_code for r in answers] == [404] * len(answers)
    assert {r.headers["content-type"] for r in answers} == {PROBLEM}


class Down:
    """A run store and saga log whose database refuses connections."""

    async def _refused(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError("connect to 10.0.0.5:5432 refused")

    list_runs = get_run = list_attempts = list = load = _refused


async def test_database_down_is_a_503_problem_everywhere(world: World) -> None:
    """Each read and mutation over a store that is down answers a 503 problem."""
    world.state.run_store = Down()  # type: ignore[assignment]
    world.state.saga_store = Down()  # type: ignore[assignment]
    app = create_app(token=TOKEN, state=world.state)
    async with client(app) as c:
        answers = [
            await c.get("/ops/attention", headers=AUTH),
            await c.get("/ops/runs", headers=AUTH),
            await c.get(f"/ops/runs/{world.failed_run}", headers=AUTH),
            await c.get("/ops/sagas", headers=AUTH),
            await c.get(f"/ops/sagas/{world.failed_saga}", headers=AUTH),
            await c.post(f"/ops/runs/{world.failed_run}/ack", headers=AUTH),
            await c.post(f"/ops/runs/{world.failed_run}/resume", headers=AUTH),
        ]
    assert [r.status_code for r in answers] == [503] * len(answers)
    assert {r.headers["content-type"] for r in answers} == {PROBLEM}
    assert not any("10.0.0.5" in r.text for r in answers)
