"""The dashboard mounted on ``rfs serve``'s scheduler app: triggers with next fire times, pause."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from rfs.events import Event
from rfs.scheduler import FakeClock, Scheduler, create_cron_trigger
from rfs.scheduler.api import create_app
from rfs.web.dashboard import mount_dashboard

TOKEN = "serve-token-1234"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Publisher:
    async def publish(self, event: Event) -> None:
        """Accept and drop events."""


async def test_dashboard_on_the_scheduler_app() -> None:
    """/ui/ and /ops/triggers answer on the scheduler app; pause goes through the ops prefix."""
    scheduler = Scheduler(Publisher(), clock=FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
    await scheduler.register_trigger("nightly", create_cron_trigger("0 3 * * *"), "jobs.nightly")
    app = mount_dashboard(create_app(scheduler, token=TOKEN), token=TOKEN, scheduler=scheduler)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://s") as c:
            page = await c.get("/ui/")
            triggers = (await c.get("/ops/triggers", headers=AUTH)).json()
            paused = await c.post("/ops/scheduler/triggers/nightly/pause", headers=AUTH)
            anonymous = await c.post("/ops/scheduler/triggers/nightly/resume")
    finally:
        await scheduler.stop()
    assert page.status_code == 200
    assert triggers[0]["name"] == "nightly"
    assert triggers[0]["next_fire_time"].startswith("2026-01-01T03:00")
    assert paused.status_code == 200 and paused.json()["paused"] is True
    assert anonymous.status_code == 401
