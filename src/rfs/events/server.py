"""Shared base of the server brokers (Redis, NATS, RabbitMQ, Kafka) and their subscriptions.

Each backend module subclasses these and imports its own client library; this module imports none.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from rfs._backoff import retry_delay
from rfs.events.errors import BrokerClosedError, DecodeError, InvalidTopicError, PublishError
from rfs.events.event import Event
from rfs.events.subscription import BaseSubscription, Delivery, count_publish, make_dead_letter
from rfs.events.topics import compile_pattern, validate_topic
from rfs.monitoring import hook
from rfs.result import Failure, Result, Success

__all__ = ["Incoming", "ServerBroker", "ServerSubscription", "incoming", "wire_count"]

S = TypeVar("S", bound="ServerSubscription[Any]")
B = TypeVar("B", bound="ServerBroker[Any]")

_OK: Success[None] = Success(None)
Transient = tuple[type[BaseException], ...]


class ServerBroker(ABC, Generic[S]):
    """Publishing, the subscription set and closing; backends supply ``_send`` and ``_disconnect``.

    ``_transient`` lists the errors that mean "the server cannot be reached right now".
    """

    _transient: ClassVar[Transient] = ()
    _name: ClassVar[str] = "server"

    def __init__(self, *, max_deliveries: int, dead_letter: Callable[[str], str]) -> None:
        self.max_deliveries = max_deliveries
        self.dead_letter = dead_letter
        self.closed = False
        self._subscriptions: set[S] = set()

    @abstractmethod
    async def _send(self, topic: str, event: Event, body: str) -> None:
        """Hand ``body`` (``event`` as JSON) to the server; may raise a transient error."""

    @abstractmethod
    async def _disconnect(self) -> None:
        """Close the connection (every subscription is closed already)."""

    def _where(self) -> str:
        """Where a publish goes (server address, stream), for error messages."""
        return self._name

    def _fix(self) -> str:
        """What to check when the server cannot be reached."""
        return f"is the {self._name} server running and reachable?"

    async def publish(self, topic: str, event: Event | Any = None) -> Result[None, PublishError]:
        """Publish ``event`` (a non-``Event`` is wrapped as ``data``) once the server has taken it.

        ``Failure`` when the broker is closed, the server cannot be reached or the data is not
        JSON; a malformed topic raises.
        """
        encoded = self._encode(topic, event)
        if isinstance(encoded, Failure):
            return encoded
        try:
            await self._send(topic, *encoded.value)
        except self._transient as exc:
            failed = Failure(
                PublishError(
                    f"{self._where()}: publish to {topic!r} failed: {exc!r}; {self._fix()}"
                )
            )
            if hook.monitor is not None:
                count_publish(failed)
            return failed
        if hook.monitor is not None:
            count_publish(_OK)
        return _OK

    def _encode(self, topic: str, event: Event | Any) -> Result[tuple[Event, str], PublishError]:
        """``event`` on ``topic`` and its JSON body, or why it cannot be published."""
        if self.closed:
            return Failure(BrokerClosedError("the broker is closed"))
        validate_topic(topic)
        if not isinstance(event, Event):
            event = Event(topic, event)
        elif event.topic != topic:
            event = event.with_topic(topic)
        try:
            return Success((event, event.to_json()))
        except (TypeError, ValueError, RecursionError) as exc:  # not JSON, circular, too deep
            return Failure(PublishError(f"event is not JSON-serialisable: {exc}"))

    def _check_open(self) -> None:
        if self.closed:
            raise RuntimeError(f"the broker is closed; create a new {type(self).__name__}")

    async def _close_subscriptions(self) -> None:
        for sub in list(self._subscriptions):
            await sub.close()

    async def close(self) -> None:
        """Close every subscription, then the connection."""
        if self.closed:
            return
        self.closed = True
        await self._close_subscriptions()
        await self._disconnect()


class Incoming(NamedTuple):
    """One message taken off the wire: its decoded event (or why not), attempt and ack handle."""

    decoded: Result[Event, DecodeError]
    attempt: int
    token: Any
    topic: str
    raw: bytes | str | None


def incoming(token: Any, body: object, topic: object, attempt: object = 1) -> Incoming:
    """An :class:`Incoming` from raw wire parts, whatever they hold (backends' ``_unpack``):
    a body that is no event becomes ``Failure(DecodeError)``, the topic text, the attempt a
    positive int. Never raises, so one poison message cannot stop a subscription."""
    try:
        if body is None:
            decoded: Result[Event, DecodeError] = Failure(DecodeError("entry has no event body"))
        else:
            decoded = Event.from_json(body)  # type: ignore[arg-type]  # any type is refused
        raw = body if isinstance(body, bytes | str) else None
        return Incoming(decoded, wire_count(attempt), token, _text(topic), raw)
    except Exception as exc:  # pragma: no cover - from_json is total; belt and braces
        return Incoming(Failure(DecodeError(f"undecodable entry: {exc!r}")), 1, token, "", None)


def _is_topic(text: str) -> bool:
    try:
        validate_topic(text)
    except InvalidTopicError:
        return False
    return True


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def wire_count(value: object, least: int = 1) -> int:
    """A count from the wire (any client may have set it): an int from ``least`` to 2**31;
    anything that is not a number counts as ``least``."""
    try:
        count: int = int(value)  # type: ignore[call-overload]
    except Exception:
        return least
    return min(max(count, least), 1 << 31)


class ServerSubscription(BaseSubscription, Generic[B]):
    """A subscription fed by ``_fetch`` batches, with reconnect backoff and dead-lettering.

    Backends supply ``_fetch`` (the next batch of raw items), ``_unpack`` (one item as
    :class:`Incoming`), ``_settle`` (ack a token), ``_retry`` and ``_release`` (on close).
    """

    _transient: ClassVar[Transient] = ()

    def __init__(self, broker: B, pattern: str, group: str | None, max_deliveries: int) -> None:
        super().__init__(
            pattern, group, max_deliveries=max_deliveries, dead_letter=broker.dead_letter
        )
        self._broker = broker
        self._match = compile_pattern(pattern).matches
        self._buffer: deque[Any] = deque()
        self._fetching: asyncio.Task[Any] | None = None
        self.reconnects = 0

    # --- backend hooks -------------------------------------------------------------------
    @abstractmethod
    async def _fetch(self) -> list[Any]:
        """The next batch of raw items (may be empty); raises a transient error when cut off."""

    @abstractmethod
    def _unpack(self, item: Any) -> Incoming:
        """Decode one raw item; must never raise (build it with :func:`incoming`)."""

    @abstractmethod
    async def _settle(self, token: Any) -> None:
        """Acknowledge the message behind ``token`` (transient errors ignored)."""

    @abstractmethod
    async def _release(self) -> None:
        """Free server-side resources on close (the pending fetch is cancelled already)."""

    async def _recover(self, error: Exception) -> bool:
        """Repair after ``error`` if it means the server lost our stream or group (then True)."""
        return False

    # --- BaseSubscription hooks ----------------------------------------------------------
    async def _receive(self) -> Delivery | None:
        failures = 0
        while not self.closed:
            while self._buffer:
                delivery = await self._admit(self._unpack(self._buffer.popleft()))
                if delivery is not None:
                    return delivery
            self._fetching = asyncio.ensure_future(self._fetch())
            try:
                self._buffer.extend(await self._fetching)
                failures = 0
            except asyncio.CancelledError:
                if self.closed:
                    return None
                raise
            except Exception as exc:
                if await self._recover(exc):
                    continue
                if not isinstance(exc, self._transient):
                    raise
                self.reconnects += 1
                failures += 1
                await asyncio.sleep(retry_delay(failures, 0.05, 2.0))
            finally:
                self._fetching = None
        return None

    async def _admit(self, incoming: Incoming) -> Delivery | None:
        """The delivery to hand out, or ``None`` when it was settled here instead: undecodable
        (dead-lettered with the decode error), not matching the pattern, or out of attempts."""
        decoded, attempt, token, topic, raw = incoming
        if isinstance(decoded, Failure):
            if not self._match(topic) and _is_topic(topic):
                await self._settle(token)  # another subscription's entry (one Redis stream)
                return None
            letter = make_dead_letter(
                None,
                decoded.error,
                deliveries=attempt,
                topic=topic,
                group=self.group,
                raw=raw,
                route=self.dead_letter,
            )
            # settled only once the letter is stored; else it stays pending and comes back
            if (await self._broker.publish(letter.topic, letter)).is_success():
                await self._settle(token)
            return None
        delivery = Delivery(decoded.value, attempt, token)
        if not self._match(delivery.event.topic):
            await self._settle(token)
            return None
        if attempt > self.max_deliveries:
            await self._dead_letter(
                delivery, RuntimeError(f"gave up after {attempt - 1} deliveries")
            )
            return None
        return delivery

    async def _ack(self, delivery: Delivery) -> None:
        await self._settle(delivery.token)

    async def _dead_letter(self, delivery: Delivery, error: BaseException) -> None:
        letter = self._letter(delivery, error)
        if (await self._broker.publish(letter.topic, letter)).is_success():
            await self._settle(delivery.token)

    async def _close(self) -> None:
        task = self._fetching
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, *self._transient):
                await task
        self._broker._subscriptions.discard(self)
        await self._release()
