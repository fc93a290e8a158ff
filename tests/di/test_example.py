"""The hexagonal_orders example: both profiles through the HTTP controller, and its output."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from examples.hexagonal_orders.__main__ import main
from examples.hexagonal_orders.app import build_registry
from examples.hexagonal_orders.ports import PaymentGateway
from examples.hexagonal_orders.settings import Settings
from examples.hexagonal_orders.web import create_app

from rfs.result import Failure, Result


async def call(registry_profile: str, tmp_path: Path) -> list[httpx.Response]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}"
    registry = build_registry(registry_profile, Settings(database_url=url))
    app = create_app(registry)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ok = await client.post("/orders", json={"customer": "ada", "amount_cents": 100})
            bad = await client.post("/orders", json={"customer": "ada", "amount_cents": 0})
            got = await client.get(f"/orders/{ok.json()['id']}")
            missing = await client.get("/orders/nope")
    return [ok, bad, got, missing]


@pytest.mark.parametrize("profile", ["test", "prod"])
async def test_controller_serves_orders_under_each_profile(profile: str, tmp_path: Path) -> None:
    """The same controller works on in-memory and SQLite adapters; Results map to statuses."""
    ok, bad, got, missing = await call(profile, tmp_path)
    assert ok.status_code == 201 and got.status_code == 200
    assert got.json() == ok.json()
    assert bad.status_code == 402 and "amount must be positive" in bad.json()["detail"]
    assert missing.status_code == 404
    assert ok.json()["payment_ref"].startswith("fake-" if profile == "test" else "ch_")


async def test_prod_profile_persists_to_sqlite(tmp_path: Path) -> None:
    """An order placed under prod is in the SQLite file after the app has shut down."""
    import sqlite3

    ok, *_ = await call("prod", tmp_path)
    with sqlite3.connect(tmp_path / "orders.db") as conn:
        rows = conn.execute("select id, amount_cents from orders").fetchall()
    assert rows == [(ok.json()["id"], 100)]


async def test_override_swaps_the_payment_adapter_in_a_test() -> None:
    """A test replaces the gateway with override(); the controller sees it, then it is undone."""

    class Declining:
        async def charge(self, customer: str, amount_cents: int) -> Result[str, str]:
            return Failure("always declined")

    registry = build_registry("test")
    app = create_app(registry)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            with registry.override(PaymentGateway, Declining()):
                declined = await client.post("/orders", json={"customer": "a", "amount_cents": 5})
            accepted = await client.post("/orders", json={"customer": "a", "amount_cents": 5})
    assert declined.status_code == 402 and "always declined" in declined.json()["detail"]
    assert accepted.status_code == 201


async def test_example_main_prints_both_profiles_and_the_staging_refusal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Running the example shows test and prod results and the startup wiring error."""
    await main()
    out = capsys.readouterr().out
    assert "[test] POST 42.00   -> 201" in out and "[prod] POST 42.00   -> 201" in out
    assert "[staging] refused at startup" in out
    assert "OrderController → PlaceOrder → PaymentGateway: no adapter for profile 'staging'" in out
