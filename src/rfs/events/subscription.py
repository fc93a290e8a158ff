"""Shared subscription logic: ack on next, retry a failed event, then dead-letter it."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from rfs.events.errors import HandlerError, InvalidTopicError
from rfs.events.event import Event
from rfs.events.ports import Handler
from rfs.events.topics import MAX_TOPIC_LENGTH, validate_topic
from rfs.monitoring import context as _ctx
from rfs.monitoring import hook
from rfs.result import Failure, Result, Success

__all__ = [
    "HEADER_DELIVERIES",
    "HEADER_ERROR",
    "HEADER_ERROR_TYPE",
    "HEADER_GROUP",
    "HEADER_ORIGINAL_TOPIC",
    "AsyncClosing",
    "BaseSubscription",
    "Delivery",
    "dead_letter_topic",
    "make_dead_letter",
]

HEADER_ERROR = "rfs-error"
HEADER_ERROR_TYPE = "rfs-error-type"
HEADER_DELIVERIES = "rfs-deliveries"
HEADER_ORIGINAL_TOPIC = "rfs-original-topic"
HEADER_GROUP = "rfs-group"

DEAD_LETTER_PREFIX = "dead_letter"
RAW_LIMIT = 64 * 1024
"""Characters of an undecodable entry kept in its dead letter (``data["raw"]``)."""
_ERROR_LIMIT = 2000


def dead_letter_topic(topic: str) -> str:
    """The default dead-letter topic of ``topic``: ``dead_letter.<topic>``."""
    return f"{DEAD_LETTER_PREFIX}.{topic}" if topic else f"{DEAD_LETTER_PREFIX}.unknown"


def make_dead_letter(
    event: Event | None,
    error: BaseException,
    *,
    deliveries: int,
    topic: str,
    group: str | None,
    raw: bytes | str | None = None,
    route: Callable[[str], str] = dead_letter_topic,
) -> Event:
    """The event sent to the dead-letter topic, with the error in its headers.

    Never raises on hostile input: a topic that routes to an invalid dead-letter topic (it
    came off the wire malformed, or is at the length cap) goes to ``dead_letter.unknown``;
    the error text, the original topic and the raw entry are clipped.
    """
    headers = dict(event.headers) if event is not None else {}
    headers[HEADER_ERROR] = _clip(str(error) or type(error).__name__, _ERROR_LIMIT)
    headers[HEADER_ERROR_TYPE] = type(error).__name__
    headers[HEADER_DELIVERIES] = str(deliveries)
    headers[HEADER_ORIGINAL_TOPIC] = _clip(topic, MAX_TOPIC_LENGTH)
    if group:
        headers[HEADER_GROUP] = group
    try:
        target = validate_topic(route(topic))
    except InvalidTopicError:
        target = dead_letter_topic("unknown")
    if event is not None:
        out = event.with_topic(target)
        out.headers = headers
        return out
    if isinstance(raw, bytes | bytearray):  # cut before decoding: the entry may be huge
        text = bytes(raw[: RAW_LIMIT * 4]).decode("utf-8", "replace")[:RAW_LIMIT]
    else:
        text = (raw or "")[:RAW_LIMIT]
    size = len(raw) if raw is not None else 0
    return Event(target, {"raw": text, "size": size}, headers=headers)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


#: The recorder site of ``events.publish`` (backends with a hot publish path use it inline).
PUBLISH_SITE = hook.Site("events.publish", "events")
_CONSUME = hook.Site("events.consume", "events")


def count_publish(result: Result[None, Any]) -> None:
    """Report one publish (``events.publish``) to the monitor hook; publishers call it only
    after checking ``hook.monitor is not None``, so nothing is paid while monitoring is off."""
    if hook.monitor is not None:
        if type(result) is Success:
            PUBLISH_SITE.record(True, 0.0, None)
        else:
            error = result.error if isinstance(result, Failure) else None
            PUBLISH_SITE.record(error is None, 0.0, error)


@dataclass(slots=True)
class Delivery:
    """One delivery of an event: how many times it has been delivered, and the backend's handle."""

    event: Event
    attempt: int = 1
    token: Any = field(default=None)


class AsyncClosing(ABC):
    """``async with`` support: leaving the block calls :meth:`_exit`, then :meth:`close`."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._exit(exc)
        await self.close()

    async def _exit(self, exc: BaseException | None) -> None:
        """Settle what the block left behind (``exc``: the exception leaving it, if any)."""
        return None

    @abstractmethod
    async def close(self) -> None:
        """Release what this object holds."""


class BaseSubscription(AsyncClosing):
    """Template for backends: they supply ``_receive``, ``_ack``, ``_retry``, ``_dead_letter``."""

    def __init__(
        self,
        pattern: str,
        group: str | None,
        *,
        max_deliveries: int = 5,
        dead_letter: Callable[[str], str] = dead_letter_topic,
    ) -> None:
        if max_deliveries < 1:
            raise ValueError(f"max_deliveries must be at least 1, got {max_deliveries}")
        self.pattern = pattern
        self.group = group
        self.max_deliveries = max_deliveries
        self.dead_letter = dead_letter
        self._pending: Delivery | None = None
        self.closed = False

    # --- backend hooks -------------------------------------------------------------------
    @abstractmethod
    async def _receive(self) -> Delivery | None:
        """The next delivery, or ``None`` once closed."""

    @abstractmethod
    async def _ack(self, delivery: Delivery) -> None:
        """Mark the delivery done."""

    @abstractmethod
    async def _retry(self, delivery: Delivery, error: BaseException) -> None:
        """Hand the delivery back for redelivery."""

    @abstractmethod
    async def _dead_letter(self, delivery: Delivery, error: BaseException) -> None:
        """Publish the delivery's event to its dead-letter topic and ack the original."""

    @abstractmethod
    async def _close(self) -> None:
        """Release backend resources; a pending ``_receive`` returns ``None``."""

    # --- iteration -----------------------------------------------------------------------
    def __aiter__(self) -> BaseSubscription:
        return self

    async def __anext__(self) -> Event:
        pending = self._pending
        if pending is not None:
            self._pending = None
            await self._ack(pending)
        delivery = await self._receive()
        if delivery is None:
            raise StopAsyncIteration
        self._pending = delivery
        return delivery.event

    async def _exit(self, exc: BaseException | None) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            if exc is None:
                await self._ack(pending)
            elif isinstance(exc, Exception):
                await self.fail(pending, exc)

    def _letter(self, delivery: Delivery, error: BaseException) -> Event:
        """``delivery``'s event on its dead-letter topic, with ``error`` in its headers."""
        event = delivery.event
        return make_dead_letter(
            event,
            error,
            deliveries=delivery.attempt,
            topic=event.topic,
            group=self.group,
            route=self.dead_letter,
        )

    async def fail(self, delivery: Delivery, error: BaseException) -> None:
        """Retry ``delivery`` later, or dead-letter it after ``max_deliveries`` attempts."""
        if delivery.attempt >= self.max_deliveries:
            hook.report("events.dead_letter", False, 0.0, error, "events")
            await self._dead_letter(delivery, error)
        else:
            await self._retry(delivery, error)

    async def run(self, handler: Handler) -> int:
        """Call ``handler`` on each event until the subscription closes; return how many succeeded.

        A handler that raises or returns ``Failure`` has its event redelivered, and after
        ``max_deliveries`` attempts sent to the dead-letter topic with the error in its headers.
        """
        done = 0
        while (delivery := await self._receive()) is not None:
            error: BaseException | None = None
            cid = delivery.event.correlation_id  # the handler runs under the event's id
            token = _ctx.set_correlation_id(cid) if cid else None
            started = hook.perf_counter() if hook.monitor is not None else None
            try:
                out = handler(delivery.event)
                if inspect.isawaitable(out):
                    out = await out
                if isinstance(out, Failure):
                    error = out.error if isinstance(out.error, BaseException) else None
                    error = error or HandlerError(out.error)
            except Exception as exc:
                error = exc
            finally:
                if token is not None:
                    _ctx.reset_correlation_id(token)
            if started is not None:  # a stale recorder after monitoring stops is harmless
                _CONSUME.since(error is None, started, error)
            if error is None:
                await self._ack(delivery)
                done += 1
            else:
                await self.fail(delivery, error)
        return done

    async def close(self) -> None:
        """Stop: iteration ends once buffered events are handed out (or at once for servers)."""
        if self.closed:
            return
        self.closed = True
        await self._close()
