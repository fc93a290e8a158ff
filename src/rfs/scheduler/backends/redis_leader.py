"""``RedisLeaderLock``: ``SET NX PX`` with a renewal script and an ``INCR`` fencing token."""

from __future__ import annotations

import uuid
from typing import Any

from rfs._require import require

require("redis", "redis.asyncio", "RedisLeaderLock")
import redis.asyncio as aioredis  # noqa: E402

# take the lock and bump the fencing counter in one step
_ACQUIRE = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('incr', KEYS[2])
end
return 0
"""
# extend only if we still own it
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLeaderLock:
    """A lease on key ``name`` in Redis; the token counter lives at ``name:fence``.

    ``lease`` is how long a dead leader blocks the others (seconds); the holder renews every
    ``lease / 3`` by default.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        name: str = "rfs:scheduler:leader",
        lease: float = 5.0,
        renew_interval: float | None = None,
        client: Any = None,
    ) -> None:
        if lease <= 0:
            raise ValueError("lease must be positive (seconds)")
        self.name = name
        self.lease = lease
        self.renew_interval = renew_interval if renew_interval is not None else lease / 3
        self._client: Any = client or aioredis.Redis.from_url(url)
        self._owns_client = client is None
        self._value: str | None = None
        self.token: int | None = None

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.lease * 1000))

    async def acquire(self) -> int | None:
        value = uuid.uuid4().hex
        token = int(
            await self._client.eval(
                _ACQUIRE, 2, self.name, f"{self.name}:fence", value, self._lease_ms
            )
        )
        if token == 0:
            return None
        self._value, self.token = value, token
        return token

    async def renew(self) -> bool:
        if self._value is None:
            return False
        ok = int(await self._client.eval(_RENEW, 1, self.name, self._value, self._lease_ms))
        if not ok:
            self._value = self.token = None
        return bool(ok)

    async def release(self) -> None:
        if self._value is None:
            return
        value, self._value, self.token = self._value, None, None
        await self._client.eval(_RELEASE, 1, self.name, value)

    async def close(self) -> None:
        try:
            await self.release()
        finally:
            if self._owns_client:
                await self._client.aclose()
