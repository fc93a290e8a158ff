"""Redis Streams backend (redis-py asyncio): consumer groups, ack after success, reclaim, trim.

All topics share one stream (``stream=``); each entry holds ``topic`` and the event's JSON.
A subscription is a consumer in a consumer group (an ephemeral group per subscription when no
``group`` is given). Entries left pending by a dead consumer are taken over with XAUTOCLAIM
once idle for ``claim_idle`` seconds. Delivery is at-least-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from rfs.events.errors import BrokerClosedError, DecodeError, PublishError
from rfs.events.event import Event
from rfs.events.subscription import BaseSubscription, Delivery, dead_letter_topic, make_dead_letter
from rfs.events.topics import compile_pattern, validate_topic
from rfs.result import Failure, Result, Success

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import ResponseError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("the Redis Streams backend needs redis-py: pip install 'rfs[redis]'") from exc

__all__ = ["RedisStreamsBroker", "RedisStreamsSubscription"]

_OK: Success[None] = Success(None)
_TRANSIENT = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)


def _consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class RedisStreamsBroker:
    """Publish to and consume from one Redis stream.

    ``maxlen`` trims the stream approximately on every publish (``None``: never trim).
    ``claim_idle`` is how long an entry may sit un-acked with a consumer before another
    consumer of the group takes it over; lower it in tests, raise it for slow handlers.
    """

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
        self.url = url
        self.stream = stream
        self.maxlen = maxlen
        self.claim_idle = claim_idle
        self.batch_size = batch_size
        self.block = block
        self.max_deliveries = max_deliveries
        self.dead_letter = dead_letter
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url,
            client_name=client_name,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
        self.closed = False
        self._subscriptions: set[RedisStreamsSubscription] = set()

    async def publish(self, topic: str, event: Event | Any = None) -> Result[None, PublishError]:
        """XADD the event; ``Failure`` when Redis cannot be reached or the data is not JSON."""
        if self.closed:
            return Failure(BrokerClosedError("the broker is closed"))
        validate_topic(topic)
        if not isinstance(event, Event):
            event = Event(topic, event)
        elif event.topic != topic:
            event = event.with_topic(topic)
        try:
            body = event.to_json()
        except TypeError as exc:
            return Failure(PublishError(str(exc)))
        try:
            await self.client.xadd(
                self.stream,
                {"topic": topic, "event": body},
                maxlen=self.maxlen,
                approximate=True,
            )
        except _TRANSIENT as exc:
            return Failure(PublishError(f"redis unreachable: {exc}"))
        return _OK

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
        if self.closed:
            raise RuntimeError("the broker is closed; create a new RedisStreamsBroker")
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
        for sub in list(self._subscriptions):
            await sub.close()
        await self.client.delete(self.stream)

    async def close(self) -> None:
        """Close every subscription, then the connection pool."""
        if self.closed:
            return
        self.closed = True
        for sub in list(self._subscriptions):
            await sub.close()
        await self.client.aclose()


class RedisStreamsSubscription(BaseSubscription):
    """A consumer in a consumer group of the broker's stream."""

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
        super().__init__(
            pattern, group, max_deliveries=max_deliveries, dead_letter=broker.dead_letter
        )
        self._match = compile_pattern(pattern).matches
        self._broker = broker
        self._client = broker.client
        self._stream = broker.stream
        self._group_name = group or f"rfs-ephemeral-{uuid.uuid4().hex}"
        self._ephemeral = group is None
        self.consumer = consumer
        self.claim_idle = claim_idle
        self._start_id = f"{int(time.time() * 1000)}-0"
        self._ready = False
        self._buffer: deque[Delivery] = deque()
        self._acks: list[bytes] = []
        self._next_claim = 0.0
        self._read: asyncio.Task[Any] | None = None
        self.reconnects = 0

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

    def _decode(self, entry_id: bytes, fields: dict[bytes, bytes], attempt: int) -> Delivery:
        topic = fields.get(b"topic", b"").decode("utf-8", "replace")
        raw = fields.get(b"event")
        if raw is None:
            decoded: Result[Event, DecodeError] = Failure(DecodeError("entry has no 'event' field"))
        else:
            decoded = Event.from_json(raw)
        if isinstance(decoded, Failure):
            return Delivery(Event(topic or "unknown"), attempt, (entry_id, decoded.error, raw))
        return Delivery(decoded.value, attempt, (entry_id, None, None))

    async def _claim(self) -> list[Delivery]:
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
        return [self._decode(eid, fields, counts.get(eid, 2)) for eid, fields in entries]

    async def _fetch(self) -> list[Delivery]:
        if not self._ready:
            await self._ensure_group()
        await self._flush_acks()
        now = time.monotonic()
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
        out: list[Delivery] = []
        for _stream, entries in reply or ():
            out.extend(self._decode(eid, fields, 1) for eid, fields in entries)
        return out

    # --- BaseSubscription hooks ----------------------------------------------------------
    async def _receive(self) -> Delivery | None:
        backoff = 0.05
        while not self.closed:
            while self._buffer:
                delivery = self._buffer.popleft()
                entry_id, error, raw = delivery.token
                if error is not None:
                    await self._dead_letter_raw(delivery, error, raw)
                    continue
                if not self._match(delivery.event.topic):
                    self._acks.append(entry_id)
                    continue
                if delivery.attempt > self.max_deliveries:
                    await self._dead_letter(
                        delivery, RuntimeError(f"gave up after {delivery.attempt - 1} deliveries")
                    )
                    continue
                return delivery
            self._read = asyncio.ensure_future(self._fetch())
            try:
                self._buffer.extend(await self._read)
                backoff = 0.05
            except asyncio.CancelledError:
                if self.closed:
                    return None
                raise
            except _TRANSIENT:
                self.reconnects += 1
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc) and "UNBLOCKED" not in str(exc):
                    raise
                self._ready = False  # the stream or group vanished (server restarted empty)
            finally:
                self._read = None
        return None

    async def _ack(self, delivery: Delivery) -> None:
        self._acks.append(delivery.token[0])
        if self.closed or len(self._acks) >= self._broker.batch_size:
            with contextlib.suppress(*_TRANSIENT):
                await self._flush_acks()

    async def _retry(self, delivery: Delivery, error: BaseException) -> None:
        entry_id = delivery.token[0]
        with contextlib.suppress(*_TRANSIENT):
            claimed: Any = await self._client.xclaim(
                self._stream, self._group_name, self.consumer, 0, [entry_id]
            )
            for eid, fields in claimed:
                if fields is not None:
                    self._buffer.appendleft(self._decode(eid, fields, delivery.attempt + 1))

    async def _dead_letter(self, delivery: Delivery, error: BaseException) -> None:
        event = delivery.event
        letter = make_dead_letter(
            event,
            error,
            deliveries=delivery.attempt,
            topic=event.topic,
            group=self.group,
            route=self.dead_letter,
        )
        await self._broker.publish(letter.topic, letter)
        await self._client.xack(self._stream, self._group_name, delivery.token[0])

    async def _dead_letter_raw(self, delivery: Delivery, error: BaseException, raw: Any) -> None:
        letter = make_dead_letter(
            None,
            error,
            deliveries=delivery.attempt,
            topic=delivery.event.topic,
            group=self.group,
            raw=raw if isinstance(raw, bytes | str) else None,
            route=self.dead_letter,
        )
        await self._broker.publish(letter.topic, letter)
        await self._client.xack(self._stream, self._group_name, delivery.token[0])

    async def _close(self) -> None:
        read = self._read
        if read is not None and not read.done():
            read.cancel()
            with contextlib.suppress(asyncio.CancelledError, *_TRANSIENT):
                await read
        self._broker._subscriptions.discard(self)
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
