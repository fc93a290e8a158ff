"""Web: ``@handle_result`` route overhead against the same route returning the value directly.

Both routes run in one FastAPI app and are called through httpx's ASGI transport (the whole
request path: routing, dependency solving, response model serialisation). The "peer" is
plain FastAPI. Target (issue 15): under 5% overhead.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from benchmarks._harness import Row, per_call_ns_async, report
from rfs.result import Result, Success
from rfs.web import APIError, handle_result, install


class Item(BaseModel):
    id: int
    name: str
    tags: list[str]


def build() -> FastAPI:
    app = install(FastAPI())

    @app.get("/plain/{item_id}")
    async def plain(item_id: int) -> Item:
        return Item(id=item_id, name="widget", tags=["a", "b"])

    @app.get("/result/{item_id}")
    @handle_result
    async def result(item_id: int) -> Result[Item, APIError]:
        return Success(Item(id=item_id, name="widget", tags=["a", "b"]))

    return app


async def _per_request_us(client: httpx.AsyncClient, path: str, n: int) -> float:
    # CPU time of this process: the machine's other load does not count (client and app
    # share the process, so both sides of the request are in the figure)
    start = time.process_time()
    for _ in range(n):
        await client.get(path)
    return (time.process_time() - start) / n * 1e6


async def measure(n: int = 2000, rounds: int = 7) -> tuple[float, float]:
    transport = httpx.ASGITransport(app=build())
    async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
        await _per_request_us(client, "/plain/1", 200)
        await _per_request_us(client, "/result/1", 200)
        plain, wrapped = float("inf"), float("inf")
        for _ in range(rounds):  # interleaved, best of rounds: both see the same machine load
            plain = min(plain, await _per_request_us(client, "/plain/1", n))
            wrapped = min(wrapped, await _per_request_us(client, "/result/1", n))
    return plain, wrapped


async def _fill(store: Any, path: str, n: int) -> None:
    """``n`` recorded runs (1 in 10 failed) with 3 tasks each, inserted in one transaction."""
    await store.list_runs(1)  # creates the tables (and the started_at index)
    rows = [
        (f"run-{i:05d}", "etl", "failed" if i % 10 == 0 else "succeeded", 1e9 + i, 1e9 + i + 2,
         "boom" if i % 10 == 0 else None, "{}")
        for i in range(n)
    ]  # fmt: skip
    tasks = [(r[0], t, "succeeded", 1) for r in rows for t in ("extract", "transform", "load")]
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO rfs_pipeline_runs VALUES (?,?,?,?,?,?,?)", rows)
        db.executemany(
            "INSERT INTO rfs_pipeline_tasks (run_id, task_name, state, attempts) VALUES (?,?,?,?)",
            tasks,
        )


async def measure_ops(n: int = 10_000, rounds: int = 20) -> dict[str, float]:
    """Server time (ms, best of ``rounds``) of the dashboard's first-screen calls."""
    from rfs.pipeline.store.sql import SqlRunStore
    from rfs.web.ops import ops_router
    from rfs.web.ops_state import OpsState

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/runs.db"
        store = SqlRunStore(f"sqlite:///{path}")
        await _fill(store, path, n)
        state = OpsState(run_store=store)  # acknowledgements: a table beside the runs
        app = install(FastAPI())
        app.include_router(ops_router(token=None, state=state), prefix="/ops")
        best: dict[str, float] = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
            for i in range(0, n, 1000):  # some failed runs are acknowledged (durably)
                r = await client.post(f"/ops/runs/run-{n - 10 - i:05d}/ack")
                assert r.status_code == 200, r.text
            for path_ in ("/ops/attention", "/ops/runs?limit=50", "/ops/runs/run-05000"):
                await client.get(path_)
                for _ in range(rounds):
                    start = time.perf_counter()
                    r = await client.get(path_)
                    elapsed = (time.perf_counter() - start) * 1e3
                    assert r.status_code == 200, r.text
                    best[path_] = min(best.get(path_, float("inf")), elapsed)
        await state.close()
        await store.close()
    return best


def wrapper_cost_ns() -> tuple[float, float]:
    """The decorator's own cost: the wrapped endpoint vs the bare one, called as FastAPI does."""
    from starlette.requests import Request

    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    item = Item(id=1, name="widget", tags=["a", "b"])

    async def bare(item_id: int) -> Item:
        return item

    async def result(item_id: int) -> Result[Item, APIError]:
        return Success(item)

    wrapped = handle_result(result)
    return (
        per_call_ns_async(lambda: wrapped(1, _rfs_web_request=request)),
        per_call_ns_async(lambda: bare(1)),
    )


def main() -> None:
    plain, wrapped = asyncio.run(measure())
    ours_ns, bare_ns = wrapper_cost_ns()
    report(
        "@handle_result route vs plain FastAPI route (httpx ASGITransport, per request, CPU time)",
        [
            Row("GET /item (response model)", wrapped, {"fastapi": plain}, unit="µs"),
            Row("endpoint call alone", ours_ns, {"bare endpoint": bare_ns}, unit="ns"),
        ],
        note=f"overhead {100 * (wrapped / plain - 1):+.1f}% (target < 5%)",
    )
    ops = asyncio.run(measure_ops())
    report(
        "ops API with 10,000 recorded runs in SQLite (server time per request, best of 20)",
        [Row(f"GET {p}", ms, {}, unit="ms") for p, ms in ops.items()],
        note="target: dashboard first screen (/ops/attention + /ops/runs) < 200 ms",
    )


if __name__ == "__main__":
    main()
