"""Leader locks on real Redis and PostgreSQL: exclusivity, fencing tokens, expiry, takeover."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from _waiting import until
from rfs.scheduler import PostgresLeaderLock, RedisLeaderLock


async def redis_command(redis_url: str, *args: str | int) -> object:
    """Run one Redis command on a connection of its own (as another process would)."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        return await client.execute_command(*args)
    finally:
        await client.aclose()


async def forget_redis_lock(redis_url: str, name: str) -> None:
    """Delete a Redis leader lock's keys: the lock and its fencing counter."""
    await redis_command(redis_url, "DEL", name, f"{name}:fence")


async def postgres_scalar(postgres_url: str, sql: str, **params: int) -> object:
    """Run one statement on a connection of its own and return the first value."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(postgres_url)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(sa.text(sql), params)
            return result.scalar() if result.returns_rows else None
    finally:
        await engine.dispose()


@asynccontextmanager
async def redis_contenders(
    redis_url: str, lease: float
) -> AsyncIterator[tuple[RedisLeaderLock, RedisLeaderLock]]:
    """Two instances contending for one new Redis lock; closed and deleted afterwards."""
    name = f"test:leader:{uuid.uuid4().hex}"
    a = RedisLeaderLock(redis_url, name=name, lease=lease)
    b = RedisLeaderLock(redis_url, name=name, lease=lease)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()
        await forget_redis_lock(redis_url, name)


@pytest.mark.service("redis")
async def test_redis_lock_is_exclusive_and_tokens_increase(redis_url: str) -> None:
    """Only one holder at a time; each acquisition gets a larger fencing token."""
    async with redis_contenders(redis_url, lease=2.0) as (a, b):
        first = await a.acquire()
        assert isinstance(first, int) and first > 0
        assert await b.acquire() is None
        assert await a.renew()
        await a.release()
        second = await b.acquire()
        assert second is not None and second > first
        assert not await a.renew()  # a no longer holds it


@pytest.mark.service("redis")
async def test_redis_lease_expires_when_not_renewed(redis_url: str) -> None:
    """A holder that stops renewing loses the lock after its lease; renew then fails."""
    async with redis_contenders(redis_url, lease=0.2) as (a, b):
        assert await a.acquire() is not None
        await asyncio.sleep(0.3)
        assert await b.acquire() is not None
        assert not await a.renew()


@pytest.mark.service("postgres")
async def test_postgres_lock_is_exclusive_and_freed_when_connection_dies(
    postgres_url: str,
) -> None:
    """Advisory lock: one holder; when its connection is killed the other can take over."""
    name = f"test-leader-{uuid.uuid4().hex}"
    table = f"fence_{uuid.uuid4().hex[:10]}"
    a = PostgresLeaderLock(postgres_url, name=name, fence_table=table)
    b = PostgresLeaderLock(postgres_url, name=name, fence_table=table)
    try:
        first = await a.acquire()
        assert isinstance(first, int) and first > 0
        assert await b.acquire() is None
        assert await a.renew()
        # kill the session holding the advisory lock, as a crashed process would drop it
        holder = (
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = :high AND objid = :low AND objsubid = 1"
        )
        key = a.key & 0xFFFFFFFFFFFFFFFF
        pid = await postgres_scalar(postgres_url, holder, high=key >> 32, low=key & 0xFFFFFFFF)
        assert isinstance(pid, int)
        await postgres_scalar(postgres_url, "SELECT pg_terminate_backend(:pid)", pid=pid)
        assert not await a.renew()
        second = await b.acquire()
        assert second is not None and second > first
    finally:
        await a.close()
        await b.close()
        await postgres_scalar(postgres_url, f"DROP TABLE IF EXISTS {table}")


@pytest.mark.service("redis")
async def test_scheduler_stops_firing_when_its_lease_is_taken(redis_url: str) -> None:
    """When renewal finds the lock owned by someone else, the scheduler stops firing at once."""
    from rfs.scheduler import Scheduler, create_interval_trigger

    name = f"test:leader:{uuid.uuid4().hex}"
    fired: list[float] = []

    class Recorder:
        async def publish(self, topic: str, event: object) -> None:
            fired.append(asyncio.get_running_loop().time())

    # a lease long enough that a loaded machine's pauses never let it lapse: only the
    # takeover below ends the leadership
    lock = RedisLeaderLock(redis_url, name=name, lease=10.0, renew_interval=0.1)
    scheduler = Scheduler(Recorder(), leader=lock)
    await scheduler.register_trigger("fast", create_interval_trigger(0.05), "t")
    await scheduler.start()
    try:
        await until(lambda: len(fired) >= 3)
        assert scheduler.is_leader
        # another instance now owns the lock (as after our lease lapsed during a pause)
        await redis_command(redis_url, "SET", name, "someone-else", "PX", 60_000)
        # found by the next renewal, long before the 10 s lease would have run out
        await until(lambda: not scheduler.is_leader, within=5.0)
        count = len(fired)
        await asyncio.sleep(0.3)  # twenty-odd ticks of the trigger: none may fire
        assert len(fired) == count
    finally:
        await scheduler.stop()
        await lock.close()
        await forget_redis_lock(redis_url, name)


@pytest.mark.parametrize(
    "table", ["fence; DROP TABLE users", 'a"b', "1fence", "", "a.b.c", "x" * 64, "fence table"]
)
def test_postgres_fence_table_must_be_a_plain_identifier(table: str) -> None:
    """A fence table name that is not a plain identifier is refused before any SQL runs."""
    with pytest.raises(ValueError, match="not a valid table name"):
        PostgresLeaderLock("postgresql+asyncpg://nobody@localhost/none", fence_table=table)


@pytest.mark.service("postgres")
async def test_postgres_fence_table_in_a_schema(postgres_url: str) -> None:
    """'schema.table' works: the counter lives there and tokens still increase."""
    name = f"test-leader-{uuid.uuid4().hex}"
    table = f"public.Fence_{uuid.uuid4().hex[:10]}"
    lock = PostgresLeaderLock(postgres_url, name=name, fence_table=table)
    try:
        first = await lock.acquire()
        await lock.release()
        second = await lock.acquire()
        assert first is not None and second == first + 1
    finally:
        await lock.close()
        await postgres_scalar(postgres_url, f"DROP TABLE IF EXISTS {table.lower()}")
