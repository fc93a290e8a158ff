"""Web: ``@handle_result`` route overhead against the same route returning the value directly.

Both routes run in one FastAPI app and are called through httpx's ASGI transport (the whole
request path: routing, dependency solving, response model serialisation). The "peer" is
plain FastAPI. Target (issue 15): under 5% overhead.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from benchmarks._harness import Row, report
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
    start = time.perf_counter()
    for _ in range(n):
        await client.get(path)
    return (time.perf_counter() - start) / n * 1e6


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


def main() -> None:
    plain, wrapped = asyncio.run(measure())
    report(
        "@handle_result route vs plain FastAPI route (httpx ASGITransport, per request)",
        [Row("GET /item (response model)", wrapped, {"fastapi": plain}, unit="µs")],
        note=f"overhead {100 * (wrapped / plain - 1):+.1f}% (target < 5%)",
    )


if __name__ == "__main__":
    main()
