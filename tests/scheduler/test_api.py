"""The FastAPI router: bearer-token auth, firing API triggers, listing, pause and resume."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from rfs.events import Event
from rfs.scheduler import (
    FakeClock,
    Scheduler,
    create_api_trigger,
    create_cron_trigger,
)
from rfs.scheduler.api import create_app, create_router

from .conftest import RecordingPublisher

ADMIN = "admin-secret-1"
HOOK = "hook-secret-22"


@pytest.fixture
async def client(
    scheduler: Scheduler, publisher: RecordingPublisher
) -> AsyncIterator[httpx.AsyncClient]:
    await scheduler.register_trigger(
        "webhook",
        create_api_trigger(lambda payload: Event("hooks.in", data=payload), token=HOOK),
        "hooks.in",
    )
    await scheduler.register_trigger("admin_only", create_api_trigger(), "admin.in")
    await scheduler.register_trigger("nightly", create_cron_trigger("0 3 * * *"), "n")
    app = create_app(scheduler, token=ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_fire_without_or_with_wrong_token_is_401_and_fires_nothing(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    """No token, a wrong token, or a non-bearer scheme: 401 with WWW-Authenticate, no event."""
    for headers in ({}, bearer("wrong-token"), {"Authorization": f"Basic {HOOK}"}):
        response = await client.post("/triggers/webhook/fire", json={"a": 1}, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert publisher.published == []


async def test_fire_with_trigger_token_publishes_payload(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    """The trigger's own token fires it; the JSON body reaches the event factory."""
    response = await client.post("/triggers/webhook/fire", json={"rows": 3}, headers=bearer(HOOK))
    assert response.status_code == 202
    assert response.json()["trigger"] == "webhook"
    ((topic, event, _),) = publisher.published
    assert topic == "hooks.in" and event.data == {"rows": 3}


async def test_trigger_token_does_not_open_other_triggers(
    client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    """One trigger's token cannot fire another; the admin token fires any API trigger."""
    response = await client.post("/triggers/admin_only/fire", headers=bearer(HOOK))
    assert response.status_code == 401
    response = await client.post("/triggers/admin_only/fire", headers=bearer(ADMIN))
    assert response.status_code == 202
    assert [topic for topic, _, _ in publisher.published] == ["admin.in"]


async def test_unknown_and_non_api_triggers(client: httpx.AsyncClient) -> None:
    """Unknown names are 401 without a token (no probing) and 404 with it; cron is 409."""
    assert (await client.post("/triggers/nope/fire")).status_code == 401
    assert (await client.post("/triggers/nope/fire", headers=bearer(ADMIN))).status_code == 404
    response = await client.post("/triggers/nightly/fire", headers=bearer(ADMIN))
    assert response.status_code == 409


async def test_list_pause_resume_need_admin_token(client: httpx.AsyncClient) -> None:
    """Listing and pause/resume need the admin token and report next fire times."""
    assert (await client.get("/triggers")).status_code == 401
    assert (await client.get("/triggers", headers=bearer(HOOK))).status_code == 401
    listing = (await client.get("/triggers", headers=bearer(ADMIN))).json()
    nightly = next(t for t in listing if t["name"] == "nightly")
    assert nightly["next_fire_time"].startswith("2026-03-01T03:00")
    paused = await client.post("/triggers/webhook/pause", headers=bearer(ADMIN))
    assert paused.status_code == 200 and paused.json()["paused"]
    fired = await client.post("/triggers/webhook/fire", headers=bearer(HOOK))
    assert fired.status_code == 409
    resumed = await client.post("/triggers/webhook/resume", headers=bearer(ADMIN))
    assert resumed.json()["paused"] is False
    assert (await client.post("/triggers/nope/pause", headers=bearer(ADMIN))).status_code == 404
    assert (await client.get("/triggers/nope", headers=bearer(ADMIN))).status_code == 404


async def test_health_endpoints(publisher: RecordingPublisher, clock: FakeClock) -> None:
    """/health/live is always 200; /health/ready is 503 until the scheduler runs."""
    scheduler = Scheduler(publisher, clock=clock)
    app = create_app(scheduler, token=ADMIN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/health/live")).status_code == 200
        assert (await http.get("/health/ready")).status_code == 503
        await scheduler.start()
        ready = await http.get("/health/ready")
        assert ready.status_code == 200 and ready.json()["leader"] is True
        await scheduler.stop()


def test_short_tokens_are_refused(scheduler: Scheduler) -> None:
    """Tokens under 8 characters are a configuration error."""
    with pytest.raises(ValueError, match="at least 8"):
        create_router(scheduler, token="short")
    with pytest.raises(ValueError, match="at least 8"):
        create_api_trigger(token="short")
