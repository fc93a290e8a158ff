"""Run the order service under the test and prod profiles through its HTTP API."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx

from examples.hexagonal_orders.app import build_registry
from examples.hexagonal_orders.settings import Settings
from examples.hexagonal_orders.web import create_app
from rfs.di import ContainerValidationError, Registry


async def exercise(profile: str, registry: Registry) -> list[tuple[int, object]]:
    """Place a good and a declined order, read the good one back; return (status, body)."""
    app = create_app(registry)
    seen: list[tuple[int, object]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            placed = await client.post("/orders", json={"customer": "ada", "amount_cents": 4200})
            declined = await client.post(
                "/orders", json={"customer": "bob", "amount_cents": 500_000}
            )
            order_id = placed.json()["id"]
            fetched = await client.get(f"/orders/{order_id}")
    for response in (placed, declined, fetched):
        seen.append((response.status_code, response.json()))
    print(f"[{profile}] POST 42.00   -> {placed.status_code} {placed.json()}")
    print(f"[{profile}] POST 5000.00 -> {declined.status_code} {declined.json()}")
    print(f"[{profile}] GET  {order_id} -> {fetched.status_code}")
    return seen


async def main() -> None:
    await exercise("test", build_registry("test"))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'orders.db'}"
        await exercise("prod", build_registry("prod", Settings(database_url=url)))
    try:
        build_registry("staging")
    except ContainerValidationError as error:
        print("[staging] refused at startup:")
        print(error)


if __name__ == "__main__":
    asyncio.run(main())
