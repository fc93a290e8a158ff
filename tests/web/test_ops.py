"""The ops API over real stores: auth before body, 404/413/503 problems, runs, sagas, recovery."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rfs.web import install
from rfs.web.ops import ops_router

from ._data import TOKEN, World, build_world

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def app_for(world: World, **options: Any) -> FastAPI:
    app = install(FastAPI())
    app.include_router(ops_router(token=TOKEN, state=world.state, **options), prefix="/ops")
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.fixture
async def world() -> World:
    return await build_world()


async def test_attention_lists_failed_run_and_saga_until_acknowledged(world: World) -> None:
    """The failed run is on the attention screen until acknowledged; the failed saga too."""
    async with client(app_for(world)) as c:
        first = (await c.get("/ops/attention", headers=AUTH)).json()
        ack = await c.post(f"/ops/runs/{world.failed_run}/ack", headers=AUTH)
        after = (await c.get("/ops/attention", headers=AUTH)).json()
    assert [r["id"] for r in first["runs"]] == [world.failed_run]
    assert [s["id"] for s in first["sagas"]] == [world.failed_saga]
    assert ack.status_code == 200 and ack.json()["acknowledged"] is True
    assert after["runs"] == []


async def test_run_detail_has_tasks_attempts_and_edges(world: World) -> None:
    """Run detail shows each task's state and error, every attempt, and the DAG edges."""
    async with client(app_for(world)) as c:
        body = (await c.get(f"/ops/runs/{world.failed_run}", headers=AUTH)).json()
    states = {t["name"]: t["state"] for t in body["tasks"]}
    assert states == {"extract": "succeeded", "transform": "failed", "load": "skipped"}
    assert "bad row 7" in next(t["error"] for t in body["tasks"] if t["name"] == "transform")
    assert {a["task"] for a in body["attempts"]} >= {"extract", "transform"}
    assert body["edges"] == [["extract", "transform"], ["transform", "load"]]


async def test_resume_runs_the_unfinished_tasks(world: World) -> None:
    """POST resume re-runs the failed run in place; it then succeeds."""
    world.broken["b"] = False
    async with client(app_for(world)) as c:
        r = await c.post(f"/ops/runs/{world.failed_run}/resume", headers=AUTH)
        assert r.status_code == 202
        await asyncio.gather(*world.state.background)
        detail = (await c.get(f"/ops/runs/{world.failed_run}", headers=AUTH)).json()
    assert detail["state"] == "succeeded"


async def test_saga_detail_has_its_log(world: World) -> None:
    """A saga execution's detail carries its log entries in order."""
    async with client(app_for(world)) as c:
        body = (await c.get(f"/ops/sagas/{world.failed_saga}", headers=AUTH)).json()
        listed = (await c.get("/ops/sagas?status=failed", headers=AUTH)).json()
    assert [e["kind"] for e in body["log"]] == ["saga_started", "step_failed"]
    assert [s["id"] for s in listed] == [world.failed_saga]


@pytest.mark.parametrize("path", ["/ops/runs/nope", "/ops/sagas/nope"])
async def test_unknown_ids_are_404_problems(world: World, path: str) -> None:
    """An unknown run or execution id answers a 404 problem."""
    async with client(app_for(world)) as c:
        r = await c.get(path, headers=AUTH)
        ack = await c.post("/ops/runs/nope/ack", headers=AUTH)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert ack.status_code == 404


async def test_mutation_without_token_is_401_before_the_body_is_read(world: World) -> None:
    """An unauthenticated POST is refused without its body ever being received."""
    received: list[bytes] = []
    app = app_for(world)

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        async def counting() -> Any:
            message = await receive()
            received.append(message.get("body", b""))
            return message

        await app(scope, counting, send)

    async with client(asgi) as c:  # type: ignore[arg-type]
        r = await c.post(f"/ops/runs/{world.failed_run}/ack", content=b"x" * 100_000)
        bad = await c.post(
            f"/ops/runs/{world.failed_run}/ack", headers={"Authorization": "Bearer wrong"}
        )
    assert r.status_code == 401 and bad.status_code == 401
    assert received == []


async def test_reads_need_a_token_unless_opened(world: World) -> None:
    """Reads answer 401 without a token, 200 with the read token or when opened."""
    async with client(app_for(world, read_token="reader-token")) as c:
        closed = await c.get("/ops/runs")
        reader = await c.get("/ops/runs", headers={"Authorization": "Bearer reader-token"})
        write = await c.post(
            f"/ops/runs/{world.failed_run}/ack", headers={"Authorization": "Bearer reader-token"}
        )
    async with client(app_for(world, open_reads=True)) as c:
        opened = await c.get("/ops/runs")
    assert (closed.status_code, reader.status_code, write.status_code) == (401, 200, 401)
    assert opened.status_code == 200


class DownStore:
    """A run store whose database is unreachable."""

    async def list_runs(self, limit: int = 20) -> list[Any]:
        raise ConnectionRefusedError("connect to 10.0.0.5:5432 refused")

    async def get_run(self, run_id: str) -> Any:
        raise ConnectionRefusedError("connect to 10.0.0.5:5432 refused")


async def test_database_down_is_a_503_problem(world: World) -> None:
    """A store that raises answers 503 problems that do not repeat the driver's message."""
    world.state.run_store = DownStore()  # type: ignore[assignment]
    world.state.saga_store = None
    async with client(app_for(world)) as c:
        runs = await c.get("/ops/runs", headers=AUTH)
        attention = await c.get("/ops/attention", headers=AUTH)
    assert runs.status_code == 503 and attention.status_code == 503
    assert "10.0.0.5" not in runs.text


async def test_cache_stats_and_dead_letters(world: World) -> None:
    """Cache stats come from rfs.cache; dead letters from the configured source."""

    async def letters() -> list[dict[str, Any]]:
        return [{"topic": "orders.dlq", "error": "bad"}]

    world.state.dead_letters = letters
    async with client(app_for(world)) as c:
        stats = await c.get("/ops/cache/stats", headers=AUTH)
        dead = (await c.get("/ops/dead-letters", headers=AUTH)).json()
        attention = (await c.get("/ops/attention", headers=AUTH)).json()
    assert stats.status_code == 200 and isinstance(stats.json(), dict)
    assert dead == [{"topic": "orders.dlq", "error": "bad"}]
    assert attention["dead_letters"] == dead


def test_short_token_is_refused() -> None:
    """A token under 8 characters is a configuration error."""
    with pytest.raises(ValueError, match="at least 8"):
        ops_router(token="short")


async def test_oversized_body_is_413(world: World) -> None:
    """An authenticated acknowledgement with a body over the cap answers a 413 problem."""
    async with client(app_for(world, max_body_size=100)) as c:
        big = await c.post(
            f"/ops/runs/{world.failed_run}/ack", headers=AUTH, json={"note": "x" * 200}
        )
        ok = await c.post(f"/ops/runs/{world.failed_run}/ack", headers=AUTH, json={"note": "fixed"})
    assert big.status_code == 413 and big.json()["limit"] == 100
    assert ok.json()["note"] == "fixed"
