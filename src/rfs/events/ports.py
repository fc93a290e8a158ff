"""The event system's ports, as Protocols: ``Publisher``, ``Consumer``, ``Broker``, ``Queue``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from rfs.events.errors import PublishError
from rfs.events.event import Event
from rfs.result import Result

__all__ = ["Broker", "Consumer", "Handler", "Publisher", "Queue", "Subscription"]

T = TypeVar("T")

Handler = Callable[[Event], Any | Awaitable[Any]]
"""A sync or async callable taking an event; raising or returning ``Failure`` means failure."""


@runtime_checkable
class Publisher(Protocol):
    """Publishes events on concrete topics."""

    async def publish(self, topic: str, event: Event) -> Result[None, PublishError]:
        """Send ``event`` on ``topic``; ``Failure`` when it could not be accepted."""
        ...


@runtime_checkable
class Subscription(Protocol):
    """An async iterator of events that ends cleanly on ``close()`` or when its broker closes.

    Iterating acknowledges an event when the next one is requested; inside ``async with`` an
    exception leaving the block hands the current event back for redelivery instead.
    """

    pattern: str
    group: str | None

    def __aiter__(self) -> AsyncIterator[Event]: ...

    async def __anext__(self) -> Event: ...

    async def run(self, handler: Handler) -> int:
        """Call ``handler`` per event until closed (ack on success, retry then dead-letter)."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class Consumer(Protocol):
    """Opens subscriptions on topic patterns; subscriptions sharing a ``group`` share the work."""

    def consume(self, pattern: str, *, group: str | None = None) -> Subscription:
        """Subscribe to ``pattern`` (``*``, ``**``, ``a|b``)."""
        ...


@runtime_checkable
class Broker(Publisher, Consumer, Protocol):
    """A publisher and consumer over one transport; ``close()`` ends every subscription."""

    async def close(self) -> None: ...


@runtime_checkable
class Queue(Protocol[T]):
    """A FIFO usable from sync and async code."""

    def put(self, item: T, timeout: float | None = None) -> None: ...

    def get(self, timeout: float | None = None) -> T: ...

    async def put_async(self, item: T) -> None: ...

    async def get_async(self) -> T: ...
