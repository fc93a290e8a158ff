"""A scheduler definition for the CLI tests (``rfs serve`` / ``rfs scheduler list``)."""

from __future__ import annotations

from typing import Any

from rfs.scheduler import Scheduler, create_api_trigger, create_cron_trigger

TOKEN = "cli-test-token"


class PrintPublisher:
    """Prints each publish so the test can see it on stdout."""

    async def publish(self, topic: str, event: Any) -> None:
        print(f"published {topic} {event.data}", flush=True)


async def build() -> Scheduler:
    scheduler = Scheduler(PrintPublisher())
    await scheduler.register_trigger(
        "nightly", create_cron_trigger("0 3 * * *", timezone="Europe/Paris"), "etl.start"
    )
    await scheduler.register_trigger("hook", create_api_trigger(token=TOKEN), "hooks.in")
    return scheduler
