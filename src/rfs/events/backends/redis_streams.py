"""Redis Streams backend (redis-py asyncio): consumer groups, ack after success, reclaim, trim.

All topics share one stream (``stream=``); each entry holds ``topic`` and the event's JSON.
A subscription is a consumer in a consumer group (an ephemeral group per subscription when no
``group`` is given). Entries left pending by a dead consumer are taken over with XAUTOCLAIM
once idle for ``claim_idle`` seconds; a consumer left with nothing pending and idle for twice
that is removed from the group. Delivery is at-least-once.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

from rfs._require import require
from rfs.events.event import Event
from rfs.events.server import Incoming, ServerBroker, ServerSubscription, incoming
from rfs.events.subscription import Delivery, dead_letter_topic

require("redis", "redis.asyncio", "the Redis Streams backend")
import redis.asyncio as aioredis  # noqa: E402
from redis.asyncio.retry import Retry  # noqa: E402
from redis.backoff import ExponentialBackoff  # noqa: E402
from redis.exceptions import ConnectionError as RedisConnectionError  # noqa: E402
from redis.exceptions import ResponseError  # noqa: E402
from redis.exceptions import TimeoutError as RedisTimeoutError  # noqa: E402

__all__ = ["RedisStreamsBroker", "RedisStreamsSubscription", "unpack_entry"]

_TRANSIENT = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)

# Remove the group's consumers that hold nothing and were idle for ARGV[2] ms (dead ones: a
# live consumer reads at least every claim_idle / 2). Atomic, so a consumer cannot take an
# entry between the check and the removal (XGROUP DELCONSUMER drops its pending entries).
_FORGET_IDLE_CONSUMERS = """
local removed = 0
for _, info in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local fields = {}
  for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
  if fields['name'] ~= ARGV[3] and fields['pending'] == 0
      and fields['idle'] >= tonumber(ARGV[2]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], fields['name'])
    removed = removed + 1
  end
end
return removed
"""


def _consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class RedisStreamsBroker(ServerBroker["RedisStreamsSubscription"]):
    """Publish to and consume from one Redis stream.

    ``maxlen`` trims the stream approximately on every publish (``None``: never trim).
    ``claim_idle`` is how long an entry may sit un-acked with a consumer before another
    consumer of the group takes it over; lower it in tests, raise it for slow handlers.
    """

    _transient = _TRANSIENT
    _name = "redis"

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        stream: str = "rfs:events",
        maxlen: int | None = 100_000,
        claim_idle: float = 30.0,
        batch_size: int = 100,
        block: float = 1.0,
        max_deliveries: int = 5,
        dead_letter: Callable[[str], str] = dead_letter_topic,
        client_name: str | None = None,
    ) -> None:
        super().__init__(max_deliveries=max_deliveries, dead_letter=dead_letter)
        self.url = url
        self.stream = stream
        self.maxlen = maxlen
        self.claim_idle = claim_idle
        self.batch_size = batch_size
        self.block = block
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url,
            client_name=client_name,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )

    def _where(self) -> str:
        kwargs = self.client.connection_pool.connection_kwargs
        address = kwargs.get("path") or f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
        return f"redis at {address}, stream {self.stream!r}"

    def _fix(self) -> str:
        return "is Redis running and reachable there? Check the url= of RedisStreamsBroker"

    async def _send(self, topic: str, event: Event, body: str) -> None:
        """XADD the event (trimming the stream to about ``maxlen``)."""
        await self.client.xadd(
            self.stream, {"topic": topic, "event": body}, maxlen=self.maxlen, approximate=True
        )

    def consume(
        self,
        pattern: str,
        *,
        group: str | None = None,
        consumer: str | None = None,
        claim_idle: float | None = None,
        max_deliveries: int | None = None,
    ) -> RedisStreamsSubscription:
        """Subscribe; events added after this call (or since the group was made) are delivered."""
        self._check_open()
        sub = RedisStreamsSubscription(
            self,
            pattern,
            group,
            consumer=consumer or _consumer_name(),
            claim_idle=self.claim_idle if claim_idle is None else claim_idle,
            max_deliveries=max_deliveries or self.max_deliveries,
        )
        self._subscriptions.add(sub)
        return sub

    async def destroy(self) -> None:
        """Delete the stream and its groups from Redis (tests and teardown)."""
        await self._close_subscriptions()
        await self.client.delete(self.stream)

    async def _disconnect(self) -> None:
        await self.client.aclose()


_Entry = tuple[bytes, dict[bytes, bytes], int]
"""A stream entry as buffered: its id, its fields, and which delivery this is."""


def unpack_entry(entry_id: bytes, fields: object, attempt: int) -> Incoming:
    """One stream entry (whatever a client put in its fields) as :class:`Incoming`; never raises."""
    get = fields.get if isinstance(fields, dict) else {}.get
    return incoming(entry_id, get(b"event"), get(b"topic"), attempt)


class RedisStreamsSubscription(ServerSubscription[RedisStreamsBroker]):
    """A consumer in a consumer group of the broker's stream."""

    _transient = _TRANSIENT

    def __init__(
        self,
        broker: RedisStreamsBroker,
        pattern: str,
        group: str | None,
        *,
        consumer: str,
        claim_idle: float,
        max_deliveries: int,
    ) -> None:
        super().__init__(broker, pattern, group, max_deliveries)
        self._client = broker.client
        self._stream = broker.stream
        self._group_name = group or f"rfs-ephemeral-{uuid.uuid4().hex}"
        self._ephemeral = group is None
        self.consumer = consumer
        self.claim_idle = claim_idle
        self._start_id = f"{int(time.time() * 1000)}-0"
        self._ready = False
        self._acks: list[bytes] = []
        self._next_claim = 0.0
        self._next_forget = 0.0
        self._forget = self._client.register_script(_FORGET_IDLE_CONSUMERS)

    # --- plumbing ------------------------------------------------------------------------
    async def _ensure_group(self) -> None:
        try:
            await self._client.xgroup_create(
                self._stream, self._group_name, id=self._start_id, mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._ready = True

    async def _flush_acks(self) -> None:
        if self._acks:
            ids, self._acks = self._acks, []
            await self._client.xack(self._stream, self._group_name, *ids)

    async def _claim(self) -> list[_Entry]:
        """Take over entries idle for ``claim_idle`` (their consumer died or gave up)."""
        idle_ms = int(self.claim_idle * 1000)
        reply: Any = await self._client.xautoclaim(
            self._stream,
            self._group_name,
            self.consumer,
            idle_ms,
            "0-0",
            count=self._broker.batch_size,
        )
        entries = [e for e in reply[1] if e[1] is not None]
        if not entries:
            return []
        pending = await self._client.xpending_range(
            self._stream,
            self._group_name,
            min=entries[0][0],
            max=entries[-1][0],
            count=len(entries) * 2 + 10,
            consumername=self.consumer,
        )
        counts = {p["message_id"]: int(p["times_delivered"]) for p in pending}
        return [(eid, fields, counts.get(eid, 2)) for eid, fields in entries]

    async def _forget_dead_consumers(self) -> None:
        """Remove consumers with nothing pending, idle for ``2 * claim_idle`` (crashed ones
        whose entries were claimed); a live one so removed is recreated by its next read."""
        idle_ms = int(self.claim_idle * 2000)
        with contextlib.suppress(ResponseError):  # e.g. scripting disabled: keep them listed
            await self._forget(keys=[self._stream], args=[self._group_name, idle_ms, self.consumer])

    # --- ServerSubscription hooks --------------------------------------------------------
    async def _fetch(self) -> list[_Entry]:
        if not self._ready:
            await self._ensure_group()
        await self._flush_acks()
        now = time.monotonic()
        if now >= self._next_forget and not self._ephemeral:
            self._next_forget = now + max(self.claim_idle, 0.05)
            await self._forget_dead_consumers()
        if now >= self._next_claim:
            self._next_claim = now + max(self.claim_idle / 2, 0.05)
            claimed = await self._claim()
            if claimed:
                return claimed
        block_ms = max(1, int(min(self._broker.block, max(self.claim_idle / 2, 0.05)) * 1000))
        reply: Any = await self._client.xreadgroup(
            self._group_name,
            self.consumer,
            {self._stream: ">"},
            count=self._broker.batch_size,
            block=block_ms,
        )
        out: list[_Entry] = []
        for _stream, entries in reply or ():
            out.extend((eid, fields, 1) for eid, fields in entries)
        return out

    def _unpack(self, item: _Entry) -> Incoming:
        return unpack_entry(*item)

    async def _recover(self, error: Exception) -> bool:
        text = str(error) if isinstance(error, ResponseError) else ""
        if "NOGROUP" not in text and "UNBLOCKED" not in text:
            return False
        self._ready = False  # the stream or group vanished (server restarted empty)
        return True

    async def _settle(self, token: Any) -> None:
        self._acks.append(token)
        if self.closed or len(self._acks) >= self._broker.batch_size:
            with contextlib.suppress(*_TRANSIENT):
                await self._flush_acks()

    async def _retry(self, delivery: Delivery, error: BaseException) -> None:
        with contextlib.suppress(*_TRANSIENT):
            claimed: Any = await self._client.xclaim(
                self._stream, self._group_name, self.consumer, 0, [delivery.token]
            )
            for eid, fields in claimed:
                if fields is not None:
                    self._buffer.appendleft((eid, fields, delivery.attempt + 1))

    async def _release(self) -> None:
        # an event handed out but never settled stays pending, to be redelivered
        with contextlib.suppress(*_TRANSIENT, ResponseError):
            await self._flush_acks()
            if self._ephemeral and self._ready:
                await self._client.xgroup_destroy(self._stream, self._group_name)
            elif self._ready and not await self._has_pending():
                await self._client.xgroup_delconsumer(self._stream, self._group_name, self.consumer)

    async def _has_pending(self) -> bool:
        info = await self._client.xpending_range(
            self._stream, self._group_name, min="-", max="+", count=1, consumername=self.consumer
        )
        return bool(info)
