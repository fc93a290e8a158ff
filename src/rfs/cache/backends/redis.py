"""Redis backend (redis-py asyncio): JSON entries with PX expiry, tag sets, SCAN invalidation,
and a lock per key for single-flight across processes.

Layout under ``prefix``: ``v:<key>`` the entry, ``t:<tag>`` a set of the keys carrying the tag,
``l:<key>`` the loader lock (``SET NX PX``: a holder that dies frees it after
``lock_timeout``). Prefix invalidation walks ``SCAN MATCH``, never ``KEYS``. Any Redis error
is raised as ``CacheBackendError`` (the decorated function still answers); a payload that is
not an entry is counted in ``decode_errors`` and read as a miss.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

from rfs._require import require
from rfs.cache.errors import CacheBackendError
from rfs.cache.ports import Entry
from rfs.cache.serializers import JsonSerializer, Serializer
from rfs.cache.stats import register_backend

require("redis", "redis.asyncio", "the Redis cache backend")
import redis.asyncio as aioredis  # noqa: E402
from redis.asyncio.retry import Retry  # noqa: E402
from redis.backoff import NoBackoff  # noqa: E402
from redis.exceptions import RedisError  # noqa: E402

__all__ = ["RedisBackend"]

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_BATCH = 500


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


class RedisBackend:
    """Entries in Redis, shared by every process using the same ``url`` and ``prefix``.

    ``serializer`` defaults to JSON (``SignedPickleSerializer`` for other values).
    ``lock=False`` turns off the cross-process single-flight lock; ``lock_timeout`` bounds how
    long a loader may hold it (set it above your slowest loader). ``socket_timeout`` bounds
    each command, so a hung server slows a call by at most that much; ``max_connections``
    bounds the pool per event loop (callers beyond it wait for a free connection).
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "rfs:cache:",
        serializer: Serializer | None = None,
        lock: bool = True,
        lock_timeout: float = 10.0,
        socket_timeout: float = 1.0,
        max_connections: int = 32,
        name: str = "redis",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.serializer: Serializer = serializer or JsonSerializer()
        self.use_lock = lock
        self.lock_timeout = lock_timeout
        self.socket_timeout = socket_timeout
        self.max_connections = max_connections
        self.name = name
        self.clock = clock
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )
        self.counters = dict.fromkeys(
            ("hits", "misses", "sets", "deletes", "errors", "decode_errors", "lock_waits"), 0
        )
        register_backend(self)

    def client(self) -> aioredis.Redis:
        """This event loop's client (redis-py connections belong to one loop)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url,
                max_connections=self.max_connections,
                timeout=self.socket_timeout,  # waiting for a free connection
                socket_timeout=self.socket_timeout,
                socket_connect_timeout=self.socket_timeout,
                retry=Retry(NoBackoff(), 1),  # one reconnect for a dropped connection
            )
            client = self._clients[loop] = aioredis.Redis.from_pool(pool)
        return client

    def _key(self, key: str) -> str:
        return f"{self.prefix}v:{key}"

    @asynccontextmanager
    async def _guard(self, what: str) -> AsyncIterator[None]:
        try:
            yield
        except (RedisError, OSError, TimeoutError) as exc:
            self.counters["errors"] += 1
            raise CacheBackendError(self.name, f"{what} failed: {exc}") from exc

    async def get(self, key: str) -> Entry | None:
        async with self._guard("get"):
            data = await self.client().get(self._key(key))
        if not isinstance(data, bytes):
            self.counters["misses"] += 1
            return None
        try:
            entry = self.serializer.loads(data)
        except ValueError:
            self.counters["decode_errors"] += 1
            self.counters["misses"] += 1
            return None
        self.counters["hits"] += 1
        return entry

    async def set(self, key: str, entry: Entry) -> None:
        payload = self.serializer.dumps(entry)  # CacheSerializationError: before any I/O
        ttl = int((entry.stale_until - self.clock()) * 1000)
        if ttl <= 0:
            return
        async with self._guard("set"):
            pipe = self.client().pipeline(transaction=False)
            pipe.set(self._key(key), payload, px=ttl)
            for tag in entry.tags:
                tag_key = f"{self.prefix}t:{tag}"
                pipe.sadd(tag_key, key)
                pipe.pexpire(tag_key, ttl, nx=True)
                pipe.pexpire(tag_key, ttl, gt=True)
            await pipe.execute()
        self.counters["sets"] += 1

    async def _unlink(self, client: aioredis.Redis, keys: list[str]) -> int:
        removed = 0
        for start in range(0, len(keys), _BATCH):
            removed += await client.unlink(*keys[start : start + _BATCH])
        return removed

    async def delete(self, keys: Iterable[str]) -> int:
        names = [self._key(key) for key in keys]
        if not names:
            return 0
        async with self._guard("delete"):
            removed = await self._unlink(self.client(), names)
        self.counters["deletes"] += removed
        return removed

    async def delete_tags(self, tags: Iterable[str]) -> int:
        removed = 0
        async with self._guard("delete_tags"):
            client = self.client()
            for tag in tags:
                tag_key = f"{self.prefix}t:{tag}"
                members = [
                    self._key(m.decode()) async for m in client.sscan_iter(tag_key, count=1000)
                ]
                removed += await self._unlink(client, members)
                await client.unlink(tag_key)
        self.counters["deletes"] += removed
        return removed

    async def delete_prefix(self, prefix: str) -> int:
        pattern = _glob_escape(self._key(prefix)) + "*"
        removed = 0
        async with self._guard("delete_prefix"):
            client = self.client()
            batch: list[str] = []
            async for name in client.scan_iter(match=pattern, count=1000):
                batch.append(name)
                if len(batch) >= _BATCH:
                    removed += await self._unlink(client, batch)
                    batch = []
            removed += await self._unlink(client, batch)
        self.counters["deletes"] += removed
        return removed

    async def clear(self) -> None:
        """Delete everything under ``prefix`` (entries, tag sets, locks)."""
        async with self._guard("clear"):
            client = self.client()
            names = [n async for n in client.scan_iter(match=_glob_escape(self.prefix) + "*")]
            await self._unlink(client, names)

    # --- DistributedLock ----------------------------------------------------------------------
    async def acquire(self, key: str) -> str | None:
        if not self.use_lock:
            return "unlocked"
        token = secrets.token_hex(8)
        async with self._guard("lock"):
            ok = await self.client().set(
                f"{self.prefix}l:{key}", token, nx=True, px=int(self.lock_timeout * 1000)
            )
        return token if ok else None

    async def release(self, key: str, token: str) -> None:
        if not self.use_lock:
            return
        async with self._guard("unlock"):
            await self.client().eval(_RELEASE, 1, f"{self.prefix}l:{key}", token)

    async def wait_released(self, key: str) -> None:
        """Poll until the lock is gone; the lock's own expiry bounds the wait."""
        self.counters["lock_waits"] += 1
        delay, deadline = 0.005, self.clock() + self.lock_timeout + 1.0
        async with self._guard("lock wait"):
            while await self.client().exists(f"{self.prefix}l:{key}"):
                if self.clock() > deadline:
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)

    def stats(self) -> dict[str, int]:
        return dict(self.counters)

    async def aclose(self) -> None:
        """Close this loop's connections."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()

    async def __aenter__(self) -> RedisBackend:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
