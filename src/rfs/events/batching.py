"""``BatchingConsumer``: hand events to a handler in batches of ``batch_size`` or after ``timeout``.

The pending batch is flushed on shutdown, never dropped. When fed from a subscription, events
are acknowledged only after their batch's handler succeeds (a failed batch is redelivered).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic

from rfs.events.errors import HandlerError
from rfs.events.event import Event
from rfs.events.subscription import AsyncClosing, BaseSubscription, Delivery
from rfs.result import Failure

__all__ = ["BatchHandler", "BatchingConsumer"]

BatchHandler = Callable[[list[Event]], Any | Awaitable[Any]]

if TYPE_CHECKING:
    from typing_extensions import TypeVar  # a default (PEP 696); checkers only

    Item = TypeVar("Item", default=Event)
else:
    from typing import TypeVar

    Item = TypeVar("Item")


class BatchingConsumer(AsyncClosing, Generic[Item]):
    """Collect events and call ``handler(batch)`` when ``batch_size`` is reached or ``timeout``
    seconds have passed since the batch's first event.

    Generic in what it batches: ``Event`` by default (and for ``run``); pushed items may be
    anything the handler takes (``BatchingConsumer[dict[str, int]](handle_rows)``, or inferred
    from an annotated handler).

    Use it push-style (``await add(event)``, ``await flush()``, the seed's names) or let it
    drain a subscription with ``await run(subscription)``. ``add`` waits while a flush is
    running, so a slow handler slows whoever feeds it.
    """

    def __init__(
        self,
        handler: Callable[[list[Item]], object],
        *,
        batch_size: int = 100,
        timeout: float = 5.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.handler = handler
        self.batch_size = batch_size
        self.timeout = timeout
        self.batch: list[Item] = []
        self._deliveries: list[Delivery] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._timed_flush: asyncio.Task[None] | None = None
        self.batches = 0
        self.failed_batches = 0

    async def add(self, event: Item) -> None:
        """Add one event (or item); flushes when the batch is full (waits while a flush runs)."""
        async with self._lock:
            self.batch.append(event)
            if len(self.batch) == 1:
                self._arm()
            full = len(self.batch) >= self.batch_size
        if full:
            await self.flush()

    process_with_backpressure = add
    """The seed's name for :meth:`add`."""

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.timeout, self._on_timeout)

    def _on_timeout(self) -> None:
        self._timer = None
        self._timed_flush = asyncio.ensure_future(self.flush())

    async def flush(self) -> None:
        """Hand the pending batch to the handler now (nothing to do when it is empty)."""
        async with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if not self.batch:
                return
            batch, self.batch = self.batch, []
            deliveries, self._deliveries = self._deliveries, []
            error = await self._call(batch)
            self.batches += 1
            if error is not None:
                self.failed_batches += 1
            source = self._source
            if source is None or not deliveries:
                if error is not None and source is None:
                    raise error
                return
            for delivery in deliveries:
                if error is None:
                    await source._ack(delivery)
                else:
                    await source.fail(delivery, error)

    _source: BaseSubscription | None = None

    async def _call(self, batch: list[Item]) -> BaseException | None:
        try:
            out = self.handler(batch)
            if inspect.isawaitable(out):
                out = await out
        except Exception as exc:
            return exc
        if isinstance(out, Failure):
            return out.error if isinstance(out.error, BaseException) else HandlerError(out.error)
        return None

    async def run(self: BatchingConsumer[Event], subscription: BaseSubscription) -> int:
        """Drain ``subscription`` in batches until it closes; flush the rest; return batches."""
        self._source = subscription
        receive: asyncio.Task[Delivery | None] | None = None
        try:
            while True:
                if receive is None:
                    receive = asyncio.ensure_future(subscription._receive())
                wait = self.timeout if self.batch else None
                done, _ = await asyncio.wait({receive}, timeout=wait)
                if not done:
                    await self.flush()
                    continue
                delivery, receive = receive.result(), None
                if delivery is None:
                    break
                async with self._lock:
                    self.batch.append(delivery.event)
                    self._deliveries.append(delivery)
                    full = len(self.batch) >= self.batch_size
                if full:
                    await self.flush()
        finally:
            if receive is not None and not receive.done():
                receive.cancel()
            await self.flush()
        return self.batches

    async def close(self) -> None:
        """Flush what is pending (called on shutdown)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self.flush()
        if self._timed_flush is not None:
            await asyncio.gather(self._timed_flush, return_exceptions=True)
