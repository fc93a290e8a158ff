"""In-memory broker (the default): per-subscription bounded buffers, routing cached per topic.

Delivery is at-most-once: nothing survives the process. A handler failure is retried in
process and dead-lettered after ``max_deliveries``, like the durable backends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rfs.events.backpressure import CLOSED, Backpressure, BoundedBuffer
from rfs.events.errors import BrokerClosedError, PublishError
from rfs.events.event import Event
from rfs.events.subscription import BaseSubscription, Delivery, count_publish, dead_letter_topic
from rfs.events.topics import compile_pattern, validate_topic
from rfs.monitoring import hook
from rfs.result import Failure, Result, Success

__all__ = ["InMemoryBroker", "InMemoryConsumer", "InMemoryPublisher", "InMemorySubscription"]

_OK: Success[None] = Success(None)
_CLOSED_FAILURE: Failure[PublishError] = Failure(BrokerClosedError("the broker is closed"))


class _Retry:
    __slots__ = ("attempt", "event")

    def __init__(self, event: Event, attempt: int) -> None:
        self.event = event
        self.attempt = attempt


class _Target:
    """A buffer fed by the broker, read by one subscription or a whole group."""

    __slots__ = ("buffer", "group", "match", "members", "pattern")

    def __init__(self, pattern: str, group: str | None, buffer: BoundedBuffer[Any]) -> None:
        self.pattern = pattern
        self.group = group
        self.match = compile_pattern(pattern).matches
        self.buffer = buffer
        self.members = 0


class InMemoryBroker:
    """Topic pub/sub inside one event loop.

    ``buffer_size`` bounds each subscription's (or group's) buffer; ``backpressure`` says what
    a publisher meets when it is full: wait (``block``, the default), ``drop_oldest`` or ``fail``.
    """

    def __init__(
        self,
        *,
        buffer_size: int = 1024,
        backpressure: Backpressure | str = Backpressure.BLOCK,
        max_deliveries: int = 5,
        dead_letter: Callable[[str], str] = dead_letter_topic,
    ) -> None:
        self.buffer_size = buffer_size
        self.backpressure = Backpressure(backpressure)
        self.max_deliveries = max_deliveries
        self.dead_letter = dead_letter
        self._targets: list[_Target] = []
        self._groups: dict[tuple[str, str], _Target] = {}
        self._routes: dict[str, tuple[BoundedBuffer[Any], ...]] = {}
        self.closed = False

    # --- publishing ----------------------------------------------------------------------
    def _route(self, topic: str) -> tuple[BoundedBuffer[Any], ...]:
        validate_topic(topic)
        buffers = tuple(t.buffer for t in self._targets if t.match(topic))
        if len(self._routes) > 65_536:
            self._routes.clear()
        self._routes[topic] = buffers
        return buffers

    async def publish(self, topic: str, event: Event | Any = None) -> Result[None, PublishError]:
        """Deliver to every matching subscription; a non-``Event`` is wrapped as ``data``."""
        if self.closed:
            return _CLOSED_FAILURE
        if event.__class__ is not Event and not isinstance(event, Event):
            event = Event(topic, event)
        elif event.topic != topic:
            event = event.with_topic(topic) if event.topic else _set_topic(event, topic)
        buffers = self._routes.get(topic)
        if buffers is None:
            buffers = self._route(topic)
        failure: Result[None, PublishError] = _OK
        for buffer in buffers:
            # inlined BoundedBuffer.offer: this is the hot path
            items = buffer._items
            if len(items) < buffer.maxsize and not buffer.closed:
                items.append(event)
                if buffer._getters:
                    buffer._wake(buffer._getters)
                continue
            result = await buffer.put(event)
            if isinstance(result, Failure):
                failure = result
        if hook.monitor is not None:
            count_publish(failure)
        return failure

    def publisher(self) -> InMemoryPublisher:
        """A publisher bound to this broker."""
        return InMemoryPublisher(self)

    def consumer(self) -> InMemoryConsumer:
        """A consumer bound to this broker."""
        return InMemoryConsumer(self)

    # --- subscribing ---------------------------------------------------------------------
    def consume(
        self,
        pattern: str,
        *,
        group: str | None = None,
        buffer_size: int | None = None,
        backpressure: Backpressure | str | None = None,
        max_deliveries: int | None = None,
    ) -> InMemorySubscription:
        """Subscribe now (events published from here on are buffered for this subscription)."""
        if self.closed:
            raise RuntimeError("the broker is closed; create a new InMemoryBroker")
        target = self._groups.get((group, pattern)) if group is not None else None
        if target is None:
            buffer: BoundedBuffer[Any] = BoundedBuffer(
                buffer_size or self.buffer_size, backpressure or self.backpressure
            )
            target = _Target(pattern, group, buffer)
            self._targets.append(target)
            if group is not None:
                self._groups[(group, pattern)] = target
            self._routes.clear()
        target.members += 1
        return InMemorySubscription(self, target, max_deliveries or self.max_deliveries)

    def _leave(self, target: _Target) -> None:
        target.members -= 1
        if target.members > 0:
            target.buffer.wake_getters()
            return
        if target in self._targets:
            self._targets.remove(target)
        if target.group is not None:
            self._groups.pop((target.group, target.pattern), None)
        self._routes.clear()
        target.buffer.clear()
        target.buffer.close()

    async def close(self) -> None:
        """Refuse new events; subscriptions hand out what is buffered, then end."""
        self.closed = True
        for target in self._targets:
            target.buffer.close()
        self._routes.clear()

    @property
    def subscription_count(self) -> int:
        """How many buffers (subscriptions or groups) receive events."""
        return len(self._targets)


def _set_topic(event: Event, topic: str) -> Event:
    event.topic = topic
    return event


class InMemorySubscription(BaseSubscription):
    """An in-memory subscription; iterate it, or ``await sub.run(handler)``."""

    def __init__(self, broker: InMemoryBroker, target: _Target, max_deliveries: int) -> None:
        super().__init__(
            target.pattern,
            target.group,
            max_deliveries=max_deliveries,
            dead_letter=broker.dead_letter,
        )
        self._broker = broker
        self._target = target
        self._buffer = target.buffer
        self._items = target.buffer._items
        self._last: Event | None = None
        self._last_attempt = 1

    @property
    def dropped(self) -> int:
        """Events dropped by the ``drop_oldest`` policy on this subscription's buffer."""
        return self._buffer.dropped

    def __len__(self) -> int:
        return len(self._buffer)

    def _stopped(self) -> bool:
        return self.closed

    async def _receive(self) -> Delivery | None:
        if self.closed:
            return None
        item = self._buffer.get_nowait()
        if item is None:
            item = await self._buffer.get(self._stopped)
            if item is CLOSED:
                return None
        if type(item) is _Retry:
            return Delivery(item.event, item.attempt)
        return Delivery(item)  # type: ignore[arg-type]

    async def __anext__(self) -> Event:
        # fast path: no Delivery object, ack is a no-op in memory
        if self.closed:
            raise StopAsyncIteration
        items = self._items
        if items:
            item = items.popleft()
            buffer = self._buffer
            if buffer._putters:
                buffer._wake(buffer._putters)
        else:
            item = await self._buffer.get(self._stopped)
            if item is CLOSED:
                self._last = None
                raise StopAsyncIteration
        if type(item) is _Retry:
            self._last, self._last_attempt = item.event, item.attempt
            return item.event
        self._last = item
        if self._last_attempt != 1:
            self._last_attempt = 1
        return item  # type: ignore[no-any-return]

    async def _exit(self, exc: BaseException | None) -> None:
        last, self._last = self._last, None
        if last is not None and isinstance(exc, Exception):
            await self.fail(Delivery(last, self._last_attempt), exc)

    async def _ack(self, delivery: Delivery) -> None:
        return None

    async def _retry(self, delivery: Delivery, error: BaseException) -> None:
        self._buffer.push_front(_Retry(delivery.event, delivery.attempt + 1))

    async def _dead_letter(self, delivery: Delivery, error: BaseException) -> None:
        letter = self._letter(delivery, error)
        if not self._broker.closed:
            await self._broker.publish(letter.topic, letter)

    async def _close(self) -> None:
        self._broker._leave(self._target)


class InMemoryPublisher:
    """The seed's publisher: ``await InMemoryPublisher(broker).publish(topic, event)``."""

    def __init__(self, broker: InMemoryBroker) -> None:
        self.broker = broker

    async def publish(self, topic: str, event: Event | Any = None) -> Result[None, PublishError]:
        """Publish through the broker."""
        return await self.broker.publish(topic, event)


class InMemoryConsumer:
    """The seed's consumer: ``async for event in InMemoryConsumer(broker).consume(pattern)``."""

    def __init__(self, broker: InMemoryBroker) -> None:
        self.broker = broker

    def consume(self, pattern: str, *, group: str | None = None) -> InMemorySubscription:
        """Subscribe to ``pattern`` on the broker."""
        return self.broker.consume(pattern, group=group)
