"""RabbitMQ backend (aio-pika): a topic exchange; ``*`` and ``**`` map to AMQP ``*`` and ``#``.

A group is a durable quorum queue shared by its members (the server counts deliveries, so a
message that keeps killing its consumer is dead-lettered too); a subscription without a group
gets an exclusive queue that disappears with it. ``a|b`` alternatives become one binding each.
Publishing waits for the broker's confirm; a failed handler's message is republished to its
queue with a delivery count header, and dead-lettered after ``max_deliveries``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

from rfs._require import require
from rfs.events.event import Event
from rfs.events.server import Incoming, ServerBroker, ServerSubscription, incoming, wire_count
from rfs.events.subscription import Delivery, dead_letter_topic
from rfs.events.topics import compile_pattern

require("rabbitmq", "aio_pika", "the RabbitMQ backend")
import aio_pika  # noqa: E402
import aio_pika.abc  # noqa: E402
import aio_pika.exceptions  # noqa: E402

__all__ = ["RabbitMQBroker", "RabbitMQSubscription", "amqp_bindings", "unpack_message"]

_DELIVERIES = "x-rfs-deliveries"
_TRANSIENT = (
    aio_pika.exceptions.AMQPError,
    aio_pika.exceptions.ChannelInvalidStateError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)
_MAX_BINDINGS = 64


def amqp_bindings(pattern: str) -> list[str]:
    """AMQP binding keys covering ``pattern``: ``*``→``*``, ``**``→``#``, ``a|b`` expanded."""
    segments = compile_pattern(pattern).segments
    choices = [("#",) if s == ("**",) else s for s in segments]
    count = 1
    for choice in choices:
        count *= len(choice)
    if count > _MAX_BINDINGS:
        return ["#"]  # too many combinations: take everything, match in the client
    return [".".join(combo) for combo in itertools.product(*choices)]


def _attempt(headers: object, redelivered: object) -> int:
    """Which delivery this is: quorum queues count (``x-delivery-count``); otherwise our header.
    Headers any client may have set: whatever is not a count counts as 1."""
    if not isinstance(headers, dict):
        return 1
    counted = headers.get("x-delivery-count")
    if counted is not None:
        return wire_count(counted, 0) + 1
    return wire_count(headers.get(_DELIVERIES, 1)) + (1 if redelivered is True else 0)


def unpack_message(message: Any) -> Incoming:
    """One AMQP message (whatever a client published) as :class:`Incoming`; never raises."""
    attempt = _attempt(getattr(message, "headers", None), getattr(message, "redelivered", False))
    body = getattr(message, "body", None)
    return incoming(message, body, getattr(message, "routing_key", ""), attempt)


class RabbitMQBroker(ServerBroker["RabbitMQSubscription"]):
    """Publish to and consume from one topic exchange (declared on :meth:`connect`)."""

    _transient = _TRANSIENT
    _name = "rabbitmq"

    def __init__(
        self,
        url: str = "amqp://guest:guest@127.0.0.1:5672/",
        *,
        exchange: str = "rfs.events",
        prefetch: int = 100,
        max_deliveries: int = 5,
        dead_letter: Callable[[str], str] = dead_letter_topic,
        reconnect_interval: float = 1.0,
    ) -> None:
        super().__init__(max_deliveries=max_deliveries, dead_letter=dead_letter)
        self.url = url
        self.reconnect_interval = reconnect_interval
        self.exchange_name = exchange
        self.prefetch = prefetch
        self.connection: Any = None
        self.channel: Any = None
        self.exchange: Any = None
        self._setups: set[asyncio.Task[None]] = set()
        self._queues: set[str] = set()

    async def connect(self) -> RabbitMQBroker:
        """Connect (robust: reconnects and restores consumers) and declare the exchange."""
        if self.connection is None:
            self.connection = await aio_pika.connect_robust(
                self.url, reconnect_interval=self.reconnect_interval
            )
            self.channel = await self.connection.channel(publisher_confirms=True)
            self.exchange = await self.channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
        return self

    async def _send(self, topic: str, event: Event, body: str) -> None:
        """Publish persistently and wait for the broker's confirm."""
        if self._setups:  # subscriptions opened before this publish must be bound first
            await asyncio.gather(*list(self._setups), return_exceptions=True)
        if self.exchange is None:
            await self.connect()
        message = aio_pika.Message(
            body.encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=event.id
        )
        await self.exchange.publish(message, routing_key=topic)

    def consume(
        self, pattern: str, *, group: str | None = None, max_deliveries: int | None = None
    ) -> RabbitMQSubscription:
        """Subscribe; the queue is declared and bound before this process's next publish."""
        self._check_open()
        sub = RabbitMQSubscription(self, pattern, group, max_deliveries or self.max_deliveries)
        self._subscriptions.add(sub)
        task = asyncio.ensure_future(sub._setup())
        self._setups.add(task)
        task.add_done_callback(self._setups.discard)
        return sub

    async def destroy(self) -> None:
        """Delete the group queues and the exchange (tests and teardown)."""
        await self._close_subscriptions()
        with contextlib.suppress(*_TRANSIENT):
            connection = await aio_pika.connect(self.url)
            async with connection:
                channel = await connection.channel()
                for name in self._queues:
                    await channel.queue_delete(name)
                await channel.exchange_delete(self.exchange_name)

    async def _disconnect(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(*_TRANSIENT):
                await self.connection.close()


class RabbitMQSubscription(ServerSubscription[RabbitMQBroker]):
    """A consumer on a queue bound to the broker's exchange."""

    _transient = _TRANSIENT

    def __init__(
        self, broker: RabbitMQBroker, pattern: str, group: str | None, max_deliveries: int
    ) -> None:
        super().__init__(broker, pattern, group, max_deliveries)
        self._wakeup = asyncio.Event()
        self._channel: Any = None
        self._queue: Any = None
        self._tag: str | None = None
        self._ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def _setup(self) -> None:
        try:
            broker = await self._broker.connect()
            self._channel = await broker.connection.channel()
            await self._channel.set_qos(prefetch_count=broker.prefetch)
            exchange = await self._channel.declare_exchange(
                broker.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
            if self.group is not None:
                name = f"{broker.exchange_name}.{self.group}"
                self._queue = await self._channel.declare_queue(
                    name, durable=True, arguments={"x-queue-type": "quorum"}
                )
                broker._queues.add(name)
            else:
                self._queue = await self._channel.declare_queue(exclusive=True, auto_delete=True)
            for key in amqp_bindings(self.pattern):
                await self._queue.bind(exchange, routing_key=key)
            self._tag = await self._queue.consume(self._on_message)
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise
        if not self._ready.done():
            self._ready.set_result(None)

    async def _on_message(self, message: Any) -> None:
        self._buffer.append(message)
        self._wakeup.set()

    async def _receive(self) -> Delivery | None:
        if not self._ready.done():
            await asyncio.shield(self._ready)
        return await super()._receive()

    async def _fetch(self) -> list[Any]:
        if not self._buffer:  # ``_on_message`` fills the buffer; wait for it
            self._wakeup.clear()
            await self._wakeup.wait()
        return []

    def _unpack(self, item: Any) -> Incoming:
        return unpack_message(item)

    async def _settle(self, token: Any) -> None:
        with contextlib.suppress(*_TRANSIENT):
            await token.ack()

    async def _retry(self, delivery: Delivery, error: BaseException) -> None:
        message = delivery.token
        if self.group is not None:  # a quorum queue counts deliveries itself
            with contextlib.suppress(*_TRANSIENT):
                await message.nack(requeue=True)
            return
        retry = aio_pika.Message(
            message.body,
            headers={_DELIVERIES: delivery.attempt + 1},
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
        )
        with contextlib.suppress(*_TRANSIENT):
            await self._broker.channel.default_exchange.publish(retry, routing_key=self._queue.name)
            # the routing key is the queue name now; keep the topic in the body's event
            await message.ack()

    async def _release(self) -> None:
        with contextlib.suppress(*_TRANSIENT, asyncio.CancelledError):
            if not self._ready.done():
                await asyncio.wait_for(asyncio.shield(self._ready), 5)
        with contextlib.suppress(*_TRANSIENT, Exception):
            if self._tag is not None and self._queue is not None:
                await self._queue.cancel(self._tag)
            for message in self._buffer:
                await message.nack(requeue=True)
            self._buffer.clear()
            if self._channel is not None:
                await self._channel.close()
