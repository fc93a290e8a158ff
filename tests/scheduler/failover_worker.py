"""A scheduler process for the failover tests: fires a 1-second trigger, records each fire.

Run as ``python failover_worker.py redis|postgres URL KEY INTERVAL [SQLITE_PATH]``. Each fire
appends ``scheduled_time|pid|event_id`` to a Redis list ``KEY:fires`` or a row to PostgreSQL
table ``KEY``. SIGTERM stops it gracefully.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from rfs.scheduler import (
    PostgresLeaderLock,
    RedisLeaderLock,
    Scheduler,
    SQLStateStore,
    create_interval_trigger,
)

LEASE = 1.5


class RedisRecorder:
    def __init__(self, url: str, key: str) -> None:
        import redis.asyncio as aioredis

        self.client: Any = aioredis.Redis.from_url(url)
        self.key = key

    async def publish(self, topic: str, event: Any) -> None:
        record = f"{event.data['scheduled_time']}|{os.getpid()}|{event.id}"
        await self.client.rpush(self.key, record)

    async def close(self) -> None:
        await self.client.aclose()


class PostgresRecorder:
    def __init__(self, url: str, table: str) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        self.engine = create_async_engine(url)
        self.table = table

    async def publish(self, topic: str, event: Any) -> None:
        from sqlalchemy import text

        async with self.engine.begin() as conn:
            await conn.execute(
                text(f"INSERT INTO {self.table} (tick, pid, event_id) VALUES (:tick, :pid, :id)"),
                {"tick": event.data["scheduled_time"], "pid": os.getpid(), "id": event.id},
            )

    async def close(self) -> None:
        await self.engine.dispose()


async def main(backend: str, url: str, key: str, interval: float, sqlite_path: str | None) -> None:
    recorder: RedisRecorder | PostgresRecorder
    if backend == "redis":
        lock: Any = RedisLeaderLock(url, name=key, lease=LEASE)
        store = SQLStateStore(f"sqlite+aiosqlite:///{sqlite_path}")
        recorder = RedisRecorder(url, f"{key}:fires")
    else:
        lock = PostgresLeaderLock(url, name=key, lease=LEASE, fence_table=f"{key}_fence")
        store = SQLStateStore(url, table_name=f"{key}_state")
        recorder = PostgresRecorder(url, key)
    scheduler = Scheduler(recorder, store=store, leader=lock)
    trigger = create_interval_trigger(seconds=interval, misfire_policy="run_all")
    await scheduler.register_trigger("tick", trigger, "ticks")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await scheduler.start()
    print("ready", flush=True)
    await stop.wait()
    await scheduler.stop()
    await lock.close()
    await store.close()
    await recorder.close()


if __name__ == "__main__":
    backend, url, key, interval = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    asyncio.run(main(backend, url, key, interval, (sys.argv[5:] or [None])[0]))
