"""@RedisTransaction against a real Redis: MULTI/EXEC, WATCH conflicts, ttl, nothing on failure."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from rfs.result import Failure, Result, Success
from rfs.tx import (
    ConnectionLostError,
    NoTransactionError,
    RedisTransaction,
    TransactionError,
    TransactionTimeoutError,
    WatchConflictError,
    current_redis,
    redis_transaction,
)

pytestmark = pytest.mark.service("redis")


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    redis = Redis.from_url(redis_url)
    yield redis
    await redis.aclose()


@pytest.fixture
async def prefix(client: Redis) -> AsyncIterator[str]:
    """A unique key prefix; every key under it is deleted after the test."""
    name = f"rfs-test:{uuid.uuid4().hex}:"
    yield name
    keys = [key async for key in client.scan_iter(match=f"{name}*")]
    if keys:
        await client.delete(*keys)


async def test_writes_commit_with_ttl(client: Redis, prefix: str):
    """Queued writes land together at EXEC, each written key gets the ttl, reads run at once."""
    await client.set(f"{prefix}a", "1")

    @RedisTransaction(client=client, ttl=60)
    async def move() -> Result[str, TransactionError]:
        tx = current_redis()
        value = (await tx.get(f"{prefix}a")).decode()
        tx.set(f"{prefix}b", value)
        tx.hset(f"{prefix}h", mapping={"f": "v"})
        tx.delete(f"{prefix}a")
        assert await tx.exists(f"{prefix}b") == 0  # not written before EXEC
        return Success(value)

    assert await move() == Success("1")
    assert await client.get(f"{prefix}b") == b"1"
    assert await client.hgetall(f"{prefix}h") == {b"f": b"v"}
    assert await client.exists(f"{prefix}a") == 0
    assert 0 < await client.ttl(f"{prefix}b") <= 60
    assert 0 < await client.ttl(f"{prefix}h") <= 60


async def test_own_expiry_is_kept(client: Redis, prefix: str):
    """A write that sets its own expiry (ex=) is not overridden by the decorator's ttl."""

    @redis_transaction(client=client, ttl=3600)
    async def put() -> None:
        current_redis().set(f"{prefix}k", "v", ex=10)

    await put()
    assert 0 < await client.ttl(f"{prefix}k") <= 10


async def test_exception_writes_nothing(client: Redis, prefix: str):
    """When the function raises, no queued write reaches Redis."""

    @RedisTransaction(client=client)
    async def broken() -> None:
        current_redis().set(f"{prefix}k", "v")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await broken()
    assert await client.exists(f"{prefix}k") == 0


async def test_failure_writes_nothing(client: Redis, prefix: str):
    """When the function returns a Failure, nothing is written and the Failure is returned."""

    @RedisTransaction(client=client, ttl=5)
    async def refused() -> Result[None, str]:
        current_redis().set(f"{prefix}k", "v")
        return Failure("insufficient funds")

    assert await refused() == Failure("insufficient funds")
    assert await client.exists(f"{prefix}k") == 0


async def test_watch_conflict_from_concurrent_writer_is_retried(client: Redis, prefix: str):
    """A writer changing the watched key before EXEC makes the function rerun on fresh data."""
    key = f"{prefix}balance"
    await client.set(key, 100)
    read_done, written = asyncio.Event(), asyncio.Event()
    attempts = []

    async def writer() -> None:
        await read_done.wait()
        await client.incrby(key, 50)  # a deposit lands (another connection) before EXEC
        written.set()

    @RedisTransaction(client=client, watch="{account}")
    async def withdraw(account: str, amount: int) -> Result[int, TransactionError]:
        tx = current_redis()
        balance = int(await tx.get(account))
        attempts.append(balance)
        if len(attempts) == 1:
            read_done.set()
            await written.wait()
        tx.set(account, balance - amount)
        return Success(balance - amount)

    result, _ = await asyncio.gather(withdraw(key, 30), writer())
    assert attempts == [100, 150]
    assert result == Success(120)
    assert int(await client.get(key)) == 120


async def test_concurrent_increments_all_land(client: Redis, prefix: str):
    """Twenty concurrent read-modify-write increments on one watched key lose no update."""
    key = f"{prefix}counter"

    @RedisTransaction(client=client, watch=lambda k: k, retries=100, backoff=0.001)
    async def increment(k: str) -> int:
        tx = current_redis()
        value = int(await tx.get(k) or 0) + 1
        tx.set(k, value)
        return value

    values = await asyncio.gather(*(increment(key) for _ in range(20)))
    assert sorted(values) == list(range(1, 21))
    assert int(await client.get(key)) == 20


async def test_conflict_outlasting_retries_is_a_failure(client: Redis, prefix: str):
    """When the watched key changes on every attempt, the call fails and writes nothing."""
    key = f"{prefix}hot"
    await client.set(key, 0)

    @RedisTransaction(client=client, watch=key, retries=2, backoff=0.001)
    async def update() -> Result[None, TransactionError]:
        tx = current_redis()
        await tx.get(key)
        await client.incr(key)  # another connection changes it every time
        tx.set(key, -1)
        return Success(None)

    result = await update()
    assert isinstance(result, Failure)
    assert isinstance(result.error, WatchConflictError)
    assert result.error.attempts == 3
    assert int(await client.get(key)) == 3


async def test_conflict_raises_for_plain_functions(client: Redis, prefix: str):
    """Without a Result annotation an exhausted conflict raises WatchConflictError."""
    key = f"{prefix}hot"

    @RedisTransaction(client=client, watch=key, retries=0)
    async def update() -> None:
        await client.incr(key)
        current_redis().set(key, -1)

    with pytest.raises(WatchConflictError):
        await update()


async def test_dynamic_watch(client: Redis, prefix: str):
    """tx.watch() inside the function watches keys known only after a read."""
    await client.set(f"{prefix}pointer", f"{prefix}target")
    await client.set(f"{prefix}target", 1)
    attempts = []

    @RedisTransaction(client=client)
    async def bump() -> None:
        tx = current_redis()
        target = (await client.get(f"{prefix}pointer")).decode()
        await tx.watch(target)
        value = int(await tx.get(target))
        attempts.append(value)
        if len(attempts) == 1:
            await client.set(target, 10)
        tx.set(target, value + 1)

    await bump()
    assert attempts == [1, 10]
    assert int(await client.get(f"{prefix}target")) == 11


async def test_unreachable_redis_is_a_failure():
    """A Redis that refuses connections gives Failure(ConnectionLostError)."""

    @RedisTransaction(url="redis://127.0.0.1:1/0", watch="k")
    async def work() -> Result[None, TransactionError]:
        current_redis().set("k", "v")
        return Success(None)

    result = await work()
    assert isinstance(result, Failure)
    assert isinstance(result.error, ConnectionLostError)


async def test_misuse_is_reported() -> None:
    """current_redis() outside a transaction, sync functions and bad options raise clearly."""
    with pytest.raises(NoTransactionError):
        current_redis()
    with pytest.raises(TypeError, match="async"):
        RedisTransaction(lambda: None)
    with pytest.raises(ValueError, match="ttl"):
        RedisTransaction(ttl=0)
    with pytest.raises(ValueError, match="retries"):
        RedisTransaction(retries=-1)


async def test_timeout_writes_nothing(client: Redis, prefix: str):
    """Past ``timeout`` the function is cancelled and nothing it queued is written."""

    @RedisTransaction(client=client, timeout=0.05)
    async def slow() -> Result[None, TransactionError]:
        current_redis().set(f"{prefix}k", "v")
        await asyncio.sleep(5)
        return Success(None)

    result = await slow()
    assert isinstance(result, Failure)
    assert isinstance(result.error, TransactionTimeoutError)
    assert await client.exists(f"{prefix}k") == 0


async def test_rfs_v4_spellings(client: Redis, prefix: str):
    """watch_keys, key_pattern and retry_count (RFS v4 names) watch and retry as watch= does."""
    await client.set(f"{prefix}a", 1)
    calls = []

    @RedisTransaction(
        client=client, watch_keys=[f"{prefix}a"], key_pattern=prefix + "{name}", retry_count=1
    )
    async def touch(name: str) -> None:
        calls.append(name)
        await client.incr(f"{prefix}a")  # conflicts on every attempt
        current_redis().set(prefix + name, 1)

    with pytest.raises(WatchConflictError):
        await touch("b")
    assert len(calls) == 2
    assert await client.exists(f"{prefix}b") == 0
    with pytest.raises(ValueError, match="pipeline"):
        RedisTransaction(pipeline=False)


async def test_client_comes_from_the_active_registry(client: Redis, prefix: str):
    """Without client=/url=, the Redis bound in the active DI registry runs the transaction."""
    from rfs.di import Registry

    registry = Registry()
    bound = client.client()  # a second client object on the same server
    registry.register(Redis, instance=bound)
    used: list[Redis] = []

    @RedisTransaction
    async def write() -> Result[None, TransactionError]:
        tx = current_redis()
        used.append(tx.client)
        tx.set(f"{prefix}from-registry", "1")
        return Success(None)

    try:
        async with registry.activate():
            assert await write() == Success(None)
        assert used == [bound]
        assert await client.get(f"{prefix}from-registry") == b"1"
    finally:
        await bound.aclose()
