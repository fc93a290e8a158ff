"""A trigger API on uvicorn for the body-limit tests: ``python api_server.py PORT``."""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from rfs.scheduler import Scheduler, create_api_trigger
from rfs.scheduler.api import create_app

TOKEN = "hook-secret-22"


class Discard:
    async def publish(self, topic: str, event: object) -> None:
        return None


async def main(port: int) -> None:
    scheduler = Scheduler(Discard())
    await scheduler.register_trigger("hook", create_api_trigger(token=TOKEN), "hooks")
    app = create_app(scheduler, token="admin-secret-1")
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
