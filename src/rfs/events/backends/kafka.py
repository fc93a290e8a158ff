"""Kafka backend (aiokafka): one Kafka topic per first topic segment, consumer groups, commits.

The rfs topic ``orders.eu.placed`` goes to the Kafka topic ``<prefix>.orders`` (see
:func:`kafka_topic`), keyed by the rfs topic unless ``key=`` is given, with the rfs topic, the
correlation id and the event's headers as record headers. A pattern subscribes to the Kafka
topics of its first segment (a wildcard first segment subscribes to every ``<prefix>.*`` topic
by regex) and matches the rest on the client. A group is a Kafka consumer group; a
subscription without one gets a private group. Offsets are committed after the handler's
success (the lowest unsettled offset of each partition), so a consumer that dies leaves its
unfinished records to the group's next owner of the partition: at-least-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from rfs._require import require
from rfs.events.errors import PublishError
from rfs.events.event import Event
from rfs.events.server import Incoming, ServerBroker, ServerSubscription, incoming, wire_count
from rfs.events.subscription import Delivery, count_publish, dead_letter_topic
from rfs.events.topics import compile_pattern, validate_topic
from rfs.monitoring import hook
from rfs.result import Failure, Result, Success

require("kafka", "aiokafka", "the Kafka backend")
import aiokafka.errors as kafka_errors  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: E402
from aiokafka.structs import OffsetAndMetadata  # noqa: E402

__all__ = ["KafkaBroker", "KafkaSubscription", "kafka_topic", "unpack_record"]

_TRANSIENT = (kafka_errors.KafkaError, ConnectionError, OSError, asyncio.TimeoutError)
HEADER_TOPIC = "rfs-topic"
HEADER_CORRELATION = "correlation-id"
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
_MAX_KAFKA_TOPIC = 249
_OK: Success[None] = Success(None)

Key = str | bytes | None


def kafka_topic(segment: str, prefix: str) -> str:
    """The Kafka topic holding the rfs topics whose first segment is ``segment``.

    ``<prefix>.<segment>`` when the segment uses only characters Kafka allows and fits in 249
    characters; otherwise ``<prefix>..<sha256 of the segment>`` (a plain segment has no dot,
    so the two forms never meet).
    """
    plain = f"{prefix}.{segment}"
    if _PLAIN.fullmatch(segment) and len(plain) <= _MAX_KAFKA_TOPIC:
        return plain
    return f"{prefix}..{hashlib.sha256(segment.encode()).hexdigest()[:48]}"


def unpack_record(record: Any, token: Any = None, attempt: int = 1) -> Incoming:
    """One Kafka record (whatever a client produced) as :class:`Incoming`; never raises.

    The rfs topic comes from the ``rfs-topic`` header (empty when missing).
    """
    topic: object = ""
    try:
        for name, value in record.headers or ():
            if name == HEADER_TOPIC:
                topic = value
    except Exception:  # headers not a sequence of pairs: no topic
        topic = ""
    return incoming(token, getattr(record, "value", None), topic, attempt)


class KafkaBroker(ServerBroker["KafkaSubscription"]):
    """Publish to and consume from Kafka topics under ``prefix`` (created when first used).

    ``partitions`` and ``replication`` apply to the topics this broker creates; one partition
    keeps every event of a Kafka topic in order, more let a group spread the work (order is
    then kept per key). ``session_timeout`` is how long the group waits for a silent member
    before giving its partitions to the others. ``linger`` lets the producer wait that long
    to batch concurrent publishes into one request (throughput against latency);
    ``fetch_wait`` is how long the broker may hold a fetch while no record is there.
    """

    _transient = _TRANSIENT
    _name = "kafka"

    def __init__(
        self,
        bootstrap_servers: str = "127.0.0.1:9092",
        *,
        prefix: str = "rfs",
        partitions: int = 1,
        replication: int = 1,
        batch_size: int = 100,
        fetch_timeout: float = 1.0,
        session_timeout: float = 10.0,
        heartbeat_interval: float = 3.0,
        metadata_max_age: float = 5.0,
        request_timeout: float = 30.0,
        linger: float = 0.0,
        fetch_wait: float = 0.05,
        max_deliveries: int = 5,
        dead_letter: Callable[[str], str] = dead_letter_topic,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(max_deliveries=max_deliveries, dead_letter=dead_letter)
        validate_topic(prefix)
        self.bootstrap_servers = bootstrap_servers
        self.prefix = prefix
        self.partitions = partitions
        self.replication = replication
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.session_timeout = session_timeout
        self.heartbeat_interval = heartbeat_interval
        self.metadata_max_age = metadata_max_age
        self.request_timeout = request_timeout
        self.linger = linger
        self.fetch_wait = fetch_wait
        self.client_options = dict(client_options or {})
        self.producer: Any = None
        self.admin: Any = None
        self._topics: set[str] = set()
        self._connecting: asyncio.Lock | None = None

    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.bootstrap_servers,
            "request_timeout_ms": int(self.request_timeout * 1000),
            **self.client_options,
        }

    async def connect(self) -> KafkaBroker:
        """Start the producer and the admin client (done on first use otherwise)."""
        self._connecting = self._connecting or asyncio.Lock()
        async with self._connecting:
            if self.producer is None:
                producer = AIOKafkaProducer(
                    acks="all", linger_ms=int(self.linger * 1000), **self._client_kwargs()
                )
                await producer.start()
                self.producer = producer
            if self.admin is None:
                admin = AIOKafkaAdminClient(**self._client_kwargs())
                await admin.start()
                self.admin = admin
        return self

    async def ensure_topics(self, names: Iterable[str]) -> None:
        """Create the Kafka topics among ``names`` not made by this broker yet."""
        missing = [n for n in dict.fromkeys(names) if n not in self._topics]
        if not missing:
            return
        if self.admin is None:
            await self.connect()
        new = [NewTopic(n, self.partitions, self.replication) for n in missing]
        reply = await self.admin.create_topics(new)
        for name, code, *_ in reply.topic_errors:
            if code not in (0, kafka_errors.TopicAlreadyExistsError.errno):
                raise kafka_errors.for_code(code)(f"cannot create Kafka topic {name}")
        self._topics.update(missing)

    async def publish(
        self, topic: str, event: Event | Any = None, *, key: Key = None
    ) -> Result[None, PublishError]:
        """Publish ``event`` once Kafka has stored it (``acks=all``); ``key`` picks the
        partition (default: the rfs topic, so one topic's events stay in order)."""
        encoded = self._encode(topic, event)
        if isinstance(encoded, Failure):
            return encoded
        try:
            await self._produce(topic, *encoded.value, key=key)
        except UnicodeEncodeError as exc:  # a lone surrogate in a header, the key or the data
            return Failure(PublishError(f"event is not UTF-8 encodable: {exc}"))
        except self._transient as exc:
            return Failure(PublishError(f"kafka publish failed: {exc!r}"))
        if hook.monitor is not None:
            count_publish(_OK)
        return _OK

    async def _send(self, topic: str, event: Event, body: str) -> None:
        await self._produce(topic, event, body, key=None)

    async def _produce(self, topic: str, event: Event, body: str, *, key: Key) -> None:
        name = kafka_topic(topic.split(".", 1)[0], self.prefix)
        headers = [(HEADER_TOPIC, topic.encode())]
        if event.correlation_id is not None:
            headers.append((HEADER_CORRELATION, event.correlation_id.encode()))
        headers.extend((k, v.encode()) for k, v in event.headers.items())
        raw_key = (topic if key is None else key) if not isinstance(key, bytes) else key
        if isinstance(raw_key, str):
            raw_key = raw_key.encode()
        value = body.encode()
        await self.ensure_topics((name,))
        try:
            await self.producer.send_and_wait(name, value, key=raw_key, headers=headers)
        except kafka_errors.UnknownTopicOrPartitionError:
            self._topics.discard(name)  # the broker lost it (restarted empty): make it again
            await self.ensure_topics((name,))
            await self.producer.send_and_wait(name, value, key=raw_key, headers=headers)

    def consume(
        self,
        pattern: str,
        *,
        group: str | None = None,
        max_deliveries: int | None = None,
    ) -> KafkaSubscription:
        """Subscribe; events published after this call (or since the group was made) arrive."""
        self._check_open()
        sub = KafkaSubscription(self, pattern, group, max_deliveries or self.max_deliveries)
        self._subscriptions.add(sub)
        return sub

    async def destroy(self) -> None:
        """Delete the Kafka topics this broker created (tests and teardown)."""
        await self._close_subscriptions()
        if self.admin is not None and self._topics:
            with contextlib.suppress(*_TRANSIENT):
                await self.admin.delete_topics(sorted(self._topics))
            self._topics.clear()

    async def _disconnect(self) -> None:
        for client in (self.producer, self.admin):
            if client is not None:
                with contextlib.suppress(*_TRANSIENT):
                    await (client.stop() if client is self.producer else client.close())
        self.producer = self.admin = None


class _Token(NamedTuple):
    """Where a delivered record sits, and in which assignment of its partition it came."""

    tp: Any
    offset: int
    generation: int
    record: Any


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, sub: KafkaSubscription) -> None:
        self._sub = sub

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._sub._revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._sub._assigned(assigned)


class KafkaSubscription(ServerSubscription[KafkaBroker]):
    """A member of a Kafka consumer group, committing each partition's settled prefix.

    The first record handed out from a partition after it is assigned is counted in the
    commit's metadata (``n`` deliveries so far), so a record whose consumers keep dying is
    dead-lettered after ``max_deliveries`` on brokers that keep commit metadata (Kafka does).
    """

    _transient = _TRANSIENT

    def __init__(
        self, broker: KafkaBroker, pattern: str, group: str | None, max_deliveries: int
    ) -> None:
        super().__init__(broker, pattern, group, max_deliveries)
        first = compile_pattern(pattern).segments[0]
        self._regex: str | None = None
        self._topics: list[str] = []
        if first in (("*",), ("**",)):
            self._regex = rf"^{re.escape(broker.prefix)}\.\.?[^.]+$"
        else:
            self._topics = [kafka_topic(segment, broker.prefix) for segment in first]
        name = group if group else f"rfs-private-{uuid.uuid4().hex}"
        self.group_id = f"{broker.prefix}.{name}"
        self._start_ms = int(time.time() * 1000)
        self._consumer: Any = None
        self._unsettled: dict[Any, dict[int, None]] = {}
        self._next: dict[Any, int] = {}
        self._heads: dict[Any, tuple[int, int]] = {}
        self._dirty: set[Any] = set()
        self._generation = 0
        self._idle_since = 0.0

    # --- group plumbing ------------------------------------------------------------------
    async def _start(self) -> Any:
        broker = self._broker
        if self._topics:
            await broker.ensure_topics(self._topics)
        consumer = AIOKafkaConsumer(
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(broker.session_timeout * 1000),
            heartbeat_interval_ms=int(broker.heartbeat_interval * 1000),
            metadata_max_age_ms=int(broker.metadata_max_age * 1000),
            max_poll_records=broker.batch_size,
            fetch_max_wait_ms=int(broker.fetch_wait * 1000),
            **broker._client_kwargs(),
        )
        try:
            await consumer.start()
        except BaseException:
            with contextlib.suppress(*_TRANSIENT):
                await consumer.stop()
            raise
        if self._regex is None:
            consumer.subscribe(topics=self._topics, listener=_Rebalance(self))
        else:
            consumer.subscribe(pattern=self._regex, listener=_Rebalance(self))
        self._consumer = consumer
        return consumer

    async def _committed(self, tps: list[Any]) -> dict[Any, tuple[int, str]]:
        """The group's committed offset and metadata per partition (absent: none yet)."""
        admin = self._broker.admin
        if admin is None:
            await self._broker.connect()
            admin = self._broker.admin
        found = await admin.list_consumer_group_offsets(self.group_id, partitions=tps)
        return {tp: (om.offset, om.metadata or "") for tp, om in found.items() if om.offset >= 0}

    async def _assigned(self, assigned: Any) -> None:
        """Start each new partition at its commit, or (a new group) at this call's time."""
        consumer, tps = self._consumer, list(assigned)
        if consumer is None or not tps:
            return
        committed = await self._committed(tps)
        fresh = [tp for tp in tps if tp not in committed]
        if fresh:
            found = await consumer.offsets_for_times({tp: self._start_ms for tp in fresh})
            ends = await consumer.end_offsets(fresh)
            for tp in fresh:
                hit = found.get(tp)
                committed[tp] = (hit.offset if hit is not None else ends[tp], "")
                consumer.seek(tp, committed[tp][0])
        for tp in tps:  # no await since the seeks: _fetch sees a placed partition or none
            offset, meta = committed[tp]
            self._unsettled[tp] = {}
            self._next[tp] = offset
            self._heads[tp] = (offset, wire_count(meta, 0))
        if fresh:  # the group now has a position, so a member joining later starts there too
            await consumer.commit({tp: OffsetAndMetadata(committed[tp][0], "") for tp in fresh})

    async def _revoked(self, revoked: Any) -> None:
        """Commit what is settled, then forget the partitions (their new owner goes on)."""
        tps = set(revoked)
        with contextlib.suppress(*_TRANSIENT):
            await self._commit(tps & self._dirty)
        self._generation += 1
        for tp in tps:
            self._unsettled.pop(tp, None)
            self._next.pop(tp, None)
            self._heads.pop(tp, None)
        self._dirty -= tps
        kept = [item for item in self._buffer if item[2].tp not in tps]
        self._buffer.clear()
        self._buffer.extend(kept)

    def _position(self, tp: Any) -> int:
        pending = self._unsettled[tp]
        return next(iter(pending)) if pending else self._next[tp]

    async def _commit(self, tps: set[Any], consumer: Any = None) -> None:
        offsets = {tp: OffsetAndMetadata(self._position(tp), "") for tp in tps if tp in self._next}
        if offsets:
            await (consumer or self._consumer).commit(offsets)
        self._dirty -= tps

    async def _revive_topics(self) -> None:
        """No partition for a while: recreate our topics if the broker lost them."""
        loop = asyncio.get_running_loop()
        if not self._topics or loop.time() - self._idle_since < max(
            2.0, self._broker.fetch_timeout
        ):
            return
        self._idle_since = loop.time()
        self._broker._topics.difference_update(self._topics)
        await self._broker.ensure_topics(self._topics)

    # --- ServerSubscription hooks --------------------------------------------------------
    async def _fetch(self) -> list[tuple[Any, int, _Token]]:
        consumer = self._consumer or await self._start()
        if self._dirty:
            with contextlib.suppress(*_TRANSIENT):
                await self._commit(set(self._dirty))
        broker = self._broker
        batches = await consumer.getmany(
            timeout_ms=int(broker.fetch_timeout * 1000), max_records=broker.batch_size
        )
        if not batches and not consumer.assignment():
            await self._revive_topics()
        elif batches:
            self._idle_since = asyncio.get_running_loop().time()
        out: list[tuple[Any, int, _Token]] = []
        for tp, records in batches.items():
            pending = self._unsettled.get(tp)
            if not records:
                continue
            if pending is None:  # fetched before our listener placed the partition: undo
                if tp in consumer.assignment():
                    consumer.seek(tp, records[0].offset)
                continue
            attempt = 1
            head = self._heads.pop(tp, None)
            if head is not None and records[0].offset == head[0]:
                attempt = wire_count(head[1] + 1)
                with contextlib.suppress(*_TRANSIENT):  # count this delivery before it happens
                    await consumer.commit({tp: OffsetAndMetadata(head[0], str(attempt))})
            for record in records:
                pending[record.offset] = None
                out.append((record, attempt, _Token(tp, record.offset, self._generation, record)))
                attempt = 1
            self._next[tp] = records[-1].offset + 1
        return out

    def _unpack(self, item: tuple[Any, int, _Token]) -> Incoming:
        record, attempt, token = item
        return unpack_record(record, token, attempt)

    async def _settle(self, token: _Token) -> None:
        if token.generation != self._generation:
            return  # the partition moved on: its new owner has the record
        pending = self._unsettled.get(token.tp)
        if pending is not None and token.offset in pending:
            del pending[token.offset]
            self._dirty.add(token.tp)
        if self.closed and self._consumer is not None:
            with contextlib.suppress(*_TRANSIENT):
                await self._commit(set(self._dirty))

    async def _retry(self, delivery: Delivery, error: BaseException) -> None:
        token: _Token = delivery.token
        if token.generation == self._generation:  # still ours: hand it out again, in order
            self._buffer.appendleft((token.record, delivery.attempt + 1, token))

    async def _release(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            with contextlib.suppress(*_TRANSIENT):
                await self._commit(set(self._dirty), consumer)
            with contextlib.suppress(*_TRANSIENT):
                await consumer.stop()
