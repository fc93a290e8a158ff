"""Bounded buffers with an overflow policy: block the producer, drop the oldest, or fail."""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from rfs.events.errors import BrokerClosedError, BufferFullError, PublishError
from rfs.result import Failure, Result, Success

__all__ = ["CLOSED", "Backpressure", "BoundedBuffer"]

T = TypeVar("T")


class Backpressure(enum.StrEnum):
    """What a full buffer does to its producer."""

    BLOCK = "block"
    """The producer waits for room (the default: a slow consumer slows its producer)."""
    DROP_OLDEST = "drop_oldest"
    """The oldest buffered item is dropped to make room (counted in ``dropped``)."""
    FAIL = "fail"
    """``put`` returns ``Failure(BufferFullError)`` at once."""


class _Closed:
    __slots__ = ()

    def __repr__(self) -> str:
        return "CLOSED"


CLOSED = _Closed()
"""What :meth:`BoundedBuffer.get` returns once the buffer is closed and drained."""

_OK: Success[None] = Success(None)


class BoundedBuffer(Generic[T]):
    """A single-loop FIFO of at most ``maxsize`` items, shared by any number of getters.

    ``offer`` is the synchronous fast path used by publishers; ``put`` applies the policy.
    """

    __slots__ = ("_getters", "_items", "_putters", "closed", "dropped", "maxsize", "policy")

    def __init__(self, maxsize: int = 1024, policy: Backpressure | str = Backpressure.BLOCK):
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self.maxsize = maxsize
        self.policy = Backpressure(policy)
        self._items: deque[T] = deque()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._putters: deque[asyncio.Future[None]] = deque()
        self.closed = False
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def offer(self, item: T) -> bool:
        """Append without waiting if there is room; wake one getter."""
        if len(self._items) >= self.maxsize or self.closed:
            return False
        self._items.append(item)
        if self._getters:
            self._wake(self._getters)
        return True

    async def put(self, item: T) -> Result[None, PublishError]:
        """Append, applying the policy when full."""
        while True:
            if self.closed:
                return Failure(BrokerClosedError("the subscription is closed"))
            if self.offer(item):
                return _OK
            if self.policy is Backpressure.DROP_OLDEST:
                self._items.popleft()
                self.dropped += 1
                continue
            if self.policy is Backpressure.FAIL:
                return Failure(BufferFullError(f"buffer full ({self.maxsize} items)"))
            waiter = asyncio.get_running_loop().create_future()
            self._putters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._putters:
                    self._putters.remove(waiter)

    def push_front(self, item: T) -> None:
        """Put an item back at the head (redelivery); may exceed ``maxsize`` by the few retried."""
        self._items.appendleft(item)
        if self._getters:
            self._wake(self._getters)

    async def get(self, stopped: Callable[[], bool] | None = None) -> T | _Closed:
        """The next item, waiting; ``CLOSED`` once closed and empty, or once ``stopped()``."""
        while not self._items:
            if self.closed or (stopped is not None and stopped()):
                return CLOSED
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._getters:
                    self._getters.remove(waiter)
        item = self._items.popleft()
        if self._putters:
            self._wake(self._putters)
        return item

    def get_nowait(self) -> T | None:
        """The next item if one is buffered, else ``None``."""
        if not self._items:
            return None
        item = self._items.popleft()
        if self._putters:
            self._wake(self._putters)
        return item

    def wake_getters(self) -> None:
        """Wake every waiting getter (each rechecks its ``stopped`` condition)."""
        while self._getters:
            self._wake(self._getters)

    def clear(self) -> None:
        """Drop every buffered item and wake blocked producers."""
        self._items.clear()
        while self._putters:
            self._wake(self._putters)

    def close(self) -> None:
        """Refuse new items; getters drain what is left, then see ``CLOSED``."""
        self.closed = True
        for waiters in (self._getters, self._putters):
            while waiters:
                self._wake(waiters)

    @staticmethod
    def _wake(waiters: deque[asyncio.Future[None]]) -> None:
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
