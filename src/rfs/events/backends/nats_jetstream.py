"""NATS JetStream backend (nats-py): durable pull consumers, explicit ack, redelivery, dead letters.

Topics become subjects under ``prefix`` in one stream. A group is a durable consumer shared by
its members; a subscription without a group gets its own consumer, deleted on close. A message
not acked within ``ack_wait`` (its consumer died) is redelivered; after ``max_deliveries`` it
goes to the dead-letter topic. Patterns NATS cannot express exactly (``a|b``, a trailing
``**`` that may match nothing) use a wider server filter plus an exact client-side match.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rfs._require import require
from rfs.events.event import Event
from rfs.events.server import Incoming, ServerBroker, ServerSubscription, incoming
from rfs.events.subscription import Delivery, dead_letter_topic
from rfs.events.topics import compile_pattern, validate_topic

require("nats", "nats.js", "the NATS JetStream backend")
import nats  # noqa: E402
import nats.errors  # noqa: E402
import nats.js.errors  # noqa: E402
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig  # noqa: E402

__all__ = [
    "JetStreamBroker",
    "JetStreamSubscription",
    "durable_name",
    "nats_filter",
    "unpack_message",
]

_TRANSIENT = (nats.errors.Error, ConnectionError, OSError, asyncio.TimeoutError)


def nats_filter(pattern: str, prefix: str) -> str:
    """The narrowest single NATS filter subject covering ``pattern`` (matched exactly later)."""
    out: list[str] = [prefix]
    segments = compile_pattern(pattern).segments
    for index, seg in enumerate(segments):
        if seg == ("**",):
            if index == len(segments) - 1 and len(out) > 1:
                out.pop()  # "a.**" also matches "a": widen to the parent
            out.append(">")
            break
        out.append(seg[0] if len(seg) == 1 else "*")
    return ".".join(out)


def unpack_message(msg: Any, cut: int) -> Incoming:
    """One JetStream message (whatever a client published) as :class:`Incoming`; never raises.
    ``cut`` is the length of the subject prefix (``prefix.``) to strip from the topic."""
    try:
        attempt = msg.metadata.num_delivered
    except Exception:  # not a JetStream reply subject: count it as a first delivery
        attempt = 1
    subject = getattr(msg, "subject", "")
    topic = subject[cut:] if isinstance(subject, str) else ""
    return incoming(msg, getattr(msg, "data", None), topic, attempt)


_PLAIN_GROUP = re.compile(r"[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*")
_SAFE_CHAR = re.compile(r"[A-Za-z0-9-]")
_MAX_DURABLE = 128


def durable_name(group: str) -> str:
    """The JetStream durable consumer name of ``group``: distinct groups get distinct names.

    A plain name (letters, digits, ``-``, single inner ``_``) is used as it is. Any other is
    escaped behind a leading ``_``, each other character as ``_<hex code>_``
    (``billing.eu`` → ``_billing_2e_eu``); plain names never start with ``_``, and the
    escaping can be undone, so no two groups share a consumer. A name that would be longer
    than 128 characters becomes ``__`` and a SHA-256 digest.
    """
    if _PLAIN_GROUP.fullmatch(group) and len(group) <= _MAX_DURABLE:
        return group
    escaped = "_" + "".join(c if _SAFE_CHAR.fullmatch(c) else f"_{ord(c):x}_" for c in group)
    if len(escaped) <= _MAX_DURABLE:
        return escaped
    return "__" + hashlib.sha256(group.encode("utf-8", "surrogatepass")).hexdigest()


class JetStreamBroker(ServerBroker["JetStreamSubscription"]):
    """Publish to and consume from one JetStream stream (created on :meth:`connect`).

    ``ack_wait`` is how long the server waits for an ack before redelivering; ``max_msgs``
    bounds the stream (oldest discarded).
    """

    _transient = _TRANSIENT
    _name = "nats"

    def __init__(
        self,
        url: str = "nats://127.0.0.1:4222",
        *,
        stream: str = "RFS_EVENTS",
        prefix: str = "rfs",
        ack_wait: float = 30.0,
        max_msgs: int = 1_000_000,
        batch_size: int = 100,
        fetch_timeout: float = 1.0,
        max_deliveries: int = 5,
        dead_letter: Callable[[str], str] = dead_letter_topic,
    ) -> None:
        super().__init__(max_deliveries=max_deliveries, dead_letter=dead_letter)
        validate_topic(prefix)
        self.url = url
        self.stream = stream
        self.prefix = prefix
        self.ack_wait = ack_wait
        self.max_msgs = max_msgs
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.nc: Any = None
        self.js: Any = None

    async def connect(self, *, force: bool = False) -> JetStreamBroker:
        """Connect (reconnecting forever on drops) and create the stream if it is missing.

        ``force=True`` re-checks the stream on an open connection.
        """
        if self.nc is None or force:
            if self.nc is None:
                self.nc = await nats.connect(
                    self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2
                )
                self.js = self.nc.jetstream()
            config = StreamConfig(
                name=self.stream, subjects=[f"{self.prefix}.>"], max_msgs=self.max_msgs
            )
            try:
                await self.js.add_stream(config)
            except nats.js.errors.BadRequestError:
                await self.js.update_stream(config)
        return self

    async def _send(self, topic: str, event: Event, body: str) -> None:
        """Publish and wait for JetStream's ack (the event is stored when this succeeds)."""
        if self.js is None:
            await self.connect()
        subject, data = f"{self.prefix}.{topic}", body.encode()
        try:
            await self.js.publish(subject, data)
        except (nats.errors.NoRespondersError, nats.js.errors.NoStreamResponseError):
            await self.connect(force=True)  # the stream vanished: recreate it, then retry
            await self.js.publish(subject, data)

    def consume(
        self,
        pattern: str,
        *,
        group: str | None = None,
        max_deliveries: int | None = None,
    ) -> JetStreamSubscription:
        """Subscribe; events published after this call (or since the group was made) arrive."""
        self._check_open()
        sub = JetStreamSubscription(self, pattern, group, max_deliveries or self.max_deliveries)
        self._subscriptions.add(sub)
        return sub

    async def destroy(self) -> None:
        """Delete the stream (tests and teardown)."""
        await self._close_subscriptions()
        if self.js is not None:
            with contextlib.suppress(*_TRANSIENT):
                await self.js.delete_stream(self.stream)

    async def _disconnect(self) -> None:
        if self.nc is not None:
            with contextlib.suppress(*_TRANSIENT):
                await self.nc.close()


class JetStreamSubscription(ServerSubscription[JetStreamBroker]):
    """A pull consumer on the broker's stream."""

    _transient = _TRANSIENT

    def __init__(
        self, broker: JetStreamBroker, pattern: str, group: str | None, max_deliveries: int
    ) -> None:
        super().__init__(broker, pattern, group, max_deliveries)
        self._filter = nats_filter(pattern, broker.prefix)
        self._durable = durable_name(group) if group else f"rfs_{uuid.uuid4().hex}"
        self._ephemeral = group is None
        self._start = datetime.now(UTC)
        self._psub: Any = None
        self._cut = len(broker.prefix) + 1
        self._quiet_since = 0.0

    async def _subscribe(self) -> Any:
        if self._psub is None:
            broker = self._broker
            if broker.js is None:
                await broker.connect()
            config = ConsumerConfig(
                durable_name=self._durable,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=broker.ack_wait,
                max_deliver=-1,
                filter_subject=self._filter,
                deliver_policy=DeliverPolicy.BY_START_TIME,
                opt_start_time=self._start,
            )
            self._psub = await broker.js.pull_subscribe(
                self._filter, durable=self._durable, stream=broker.stream, config=config
            )
        return self._psub

    async def _fetch(self) -> list[Any]:
        psub = await self._subscribe()
        broker = self._broker
        try:
            msgs = list(await psub.fetch(broker.batch_size, timeout=broker.fetch_timeout))
        except (TimeoutError, nats.errors.TimeoutError):
            msgs = []
        loop = asyncio.get_running_loop()
        if msgs:
            self._quiet_since = loop.time()
        elif loop.time() - self._quiet_since > max(5 * broker.fetch_timeout, 1.0):
            # a long silence: make sure our consumer still exists (NotFoundError if not)
            self._quiet_since = loop.time()
            await broker.js.consumer_info(broker.stream, self._durable)
        return msgs

    def _unpack(self, item: Any) -> Incoming:
        return unpack_message(item, self._cut)

    async def _recover(self, error: Exception) -> bool:
        if not isinstance(error, nats.js.errors.NotFoundError):
            return False
        # the stream or consumer is gone (a server restarted empty): recreate both
        old, self._psub = self._psub, None
        if old is not None:
            with contextlib.suppress(*_TRANSIENT):
                await old.unsubscribe()
        with contextlib.suppress(*_TRANSIENT):
            await self._broker.connect(force=True)
        await asyncio.sleep(0.05)
        return True

    async def _settle(self, token: Any) -> None:
        with contextlib.suppress(*_TRANSIENT):
            await token.ack()

    async def _retry(self, delivery: Delivery, error: BaseException) -> None:
        with contextlib.suppress(*_TRANSIENT):
            await delivery.token.nak()

    async def _release(self) -> None:
        if self._psub is not None:
            with contextlib.suppress(*_TRANSIENT):
                await self._psub.unsubscribe()
            if self._ephemeral and self._broker.js is not None:
                with contextlib.suppress(*_TRANSIENT):
                    await self._broker.js.delete_consumer(self._broker.stream, self._durable)
