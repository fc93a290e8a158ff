"""Multiprocess backend: a ``multiprocessing`` queue usable from sync and async code.

``MultiprocessQueue`` works under both ``spawn`` and ``fork`` (pass it to the child as a
``Process`` argument). ``MultiprocessBroker`` lets any process publish (``broker.publisher()``
is picklable) while subscriptions live in the owning process, fed by a pump task.

Items travel pickled, so only hand the queue to processes you trust (your own children). The
queue pickles on ``put`` and unpickles on ``get`` itself: an item that cannot be unpickled
raises ``DecodeError`` from ``get`` (and is gone), the queue goes on; the broker's pump
dead-letters such items, and anything that is not a ``(topic, event)`` pair, and goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.context
import pickle
import queue as queue_module
import threading
import uuid
from collections import deque
from multiprocessing.reduction import ForkingPickler
from typing import Any, Generic, TypeVar, cast

from rfs.events.backends.memory import InMemoryBroker, InMemorySubscription
from rfs.events.backpressure import Backpressure
from rfs.events.errors import BrokerClosedError, DecodeError, InvalidTopicError, PublishError
from rfs.events.event import Event
from rfs.events.subscription import count_publish, make_dead_letter
from rfs.events.topics import validate_topic
from rfs.monitoring import hook
from rfs.result import Failure, Result, Success

__all__ = ["MultiprocessBroker", "MultiprocessPublisher", "MultiprocessQueue"]

T = TypeVar("T")
_OK: Success[None] = Success(None)
_POLL = 0.05


class MultiprocessQueue(Generic[T]):
    """A process-safe FIFO with blocking ``put``/``get`` and awaitable ``put_async``/``get_async``.

    ``maxsize`` bounds it (0: unbounded); a full queue makes ``put_async`` wait, so a slow
    consumer process slows its producers. ``context`` is ``"spawn"``, ``"fork"``,
    ``"forkserver"`` or a context object (default: the platform's). ``put`` pickles the item
    (an unpicklable one raises there); every ``get`` raises ``DecodeError`` for an item that
    cannot be unpickled here, which is then dropped.
    """

    def __init__(
        self, maxsize: int = 0, *, context: str | multiprocessing.context.BaseContext | None = None
    ) -> None:
        ctx = (
            multiprocessing.get_context(context)
            if context is None or isinstance(context, str)
            else context
        )
        self._queue: Any = ctx.Queue(maxsize)
        self._stash: deque[bytes] = deque()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"_queue": self._queue}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._queue = state["_queue"]
        self._stash = deque()
        self._lock = threading.Lock()

    def put(self, item: T, timeout: float | None = None) -> None:
        """Put, blocking while full (``queue.Full`` after ``timeout`` seconds)."""
        self._queue.put(_pack(item), True, timeout)

    def get(self, timeout: float | None = None) -> T:
        """Get, blocking while empty (``queue.Empty`` after ``timeout`` seconds)."""
        with self._lock:
            if self._stash:
                return cast(T, unpack_item(self._stash.popleft()))
        return cast(T, unpack_item(self._queue.get(True, timeout)))

    def put_nowait(self, item: T) -> None:
        """Put or raise ``queue.Full``."""
        self._queue.put_nowait(_pack(item))

    def get_nowait(self) -> T:
        """Get or raise ``queue.Empty``."""
        with self._lock:
            if self._stash:
                return cast(T, unpack_item(self._stash.popleft()))
        return cast(T, unpack_item(self._queue.get_nowait()))

    async def put_async(self, item: T) -> None:
        """Put without blocking the event loop; waits (polling a thread) while full."""
        packed = _pack(item)
        try:
            self._queue.put_nowait(packed)
            return
        except queue_module.Full:
            pass
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, self._queue.put, packed, True, _POLL)
                return
            except queue_module.Full:
                continue

    async def get_async(self) -> T:
        """Get without blocking the event loop. Cancellation never loses an item."""
        with self._lock:
            if self._stash:
                return cast(T, unpack_item(self._stash.popleft()))
        try:
            return cast(T, unpack_item(self._queue.get_nowait()))
        except queue_module.Empty:
            pass
        loop = asyncio.get_running_loop()
        while True:
            future = loop.run_in_executor(None, self._get_or_none)
            try:
                got = await asyncio.shield(future)
            except asyncio.CancelledError:
                # the thread may still take an item: keep it for the next get
                future.add_done_callback(self._restash)
                raise
            if got is not _EMPTY:
                return cast(T, unpack_item(got))

    def _get_or_none(self) -> object:
        try:
            item: object = self._queue.get(True, _POLL)
            return item
        except queue_module.Empty:
            return _EMPTY

    def _restash(self, future: asyncio.Future[object]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        item = future.result()
        if item is not _EMPTY:
            with self._lock:
                self._stash.appendleft(item)  # type: ignore[arg-type]

    def qsize(self) -> int:
        """Approximate size (not available on every platform)."""
        try:
            return int(self._queue.qsize()) + len(self._stash)
        except NotImplementedError:  # pragma: no cover - macOS
            return -1

    def close(self) -> None:
        """Release the queue in this process (the feeder thread is flushed first)."""
        self._queue.close()
        with contextlib.suppress(Exception):
            self._queue.join_thread()


_EMPTY = object()


def _pack(item: object) -> bytes:
    return bytes(ForkingPickler.dumps(item))


def unpack_item(raw: object) -> object:
    """Unpickle one queue item; any failure on any input raises ``DecodeError`` (nothing else)."""
    if not isinstance(raw, bytes):
        raise DecodeError(f"a queue item is pickled bytes, got {type(raw).__name__}")
    try:
        return ForkingPickler.loads(raw)
    except Exception as exc:
        raise DecodeError(
            f"cannot unpickle a queue item: {type(exc).__name__}: {exc}", raw
        ) from None


class MultiprocessPublisher:
    """A picklable publisher: hand it to child processes; events go to the owning broker."""

    def __init__(self, queue: MultiprocessQueue[tuple[str, Any]]) -> None:
        self.queue = queue

    def publish_sync(self, topic: str, event: Event | Any = None) -> None:
        """Publish from sync code (blocks while the queue is full)."""
        validate_topic(topic)
        self.queue.put((topic, event))

    async def publish(self, topic: str, event: Event | Any = None) -> Result[None, PublishError]:
        """Publish from async code (waits while the queue is full)."""
        validate_topic(topic)
        try:
            await self.queue.put_async((topic, event))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            return Failure(PublishError(f"event cannot be pickled: {exc}"))
        except (ValueError, OSError) as exc:  # the queue was closed
            return Failure(BrokerClosedError(str(exc)))
        if hook.monitor is not None:
            count_publish(_OK)
        return _OK


class MultiprocessBroker:
    """Events published in any process, delivered to subscriptions in this one.

    Call ``await broker.start()`` (or use ``async with``) before consuming. ``queue_size``
    bounds the cross-process queue; the per-subscription buffers behave as in memory.
    """

    def __init__(
        self,
        *,
        queue_size: int = 10_000,
        context: str | multiprocessing.context.BaseContext | None = None,
        buffer_size: int = 1024,
        backpressure: Backpressure | str = Backpressure.BLOCK,
        max_deliveries: int = 5,
    ) -> None:
        self.queue: MultiprocessQueue[tuple[str, Any]] = MultiprocessQueue(
            queue_size, context=context
        )
        self._local = InMemoryBroker(
            buffer_size=buffer_size, backpressure=backpressure, max_deliveries=max_deliveries
        )
        self._publisher = MultiprocessPublisher(self.queue)
        self._pump: asyncio.Task[None] | None = None
        self._stop = ("__rfs_stop__", uuid.uuid4().hex)  # no publisher can forge it
        self.closed = False

    async def start(self) -> MultiprocessBroker:
        """Start moving events from the queue to local subscriptions."""
        if self._pump is None:
            self._pump = asyncio.create_task(self._run_pump())
        return self

    async def _run_pump(self) -> None:
        while True:
            try:
                item: Any = await self.queue.get_async()
            except DecodeError as exc:
                await self._dead_letter(exc, "unknown", exc.raw)
                continue
            if type(item) is not tuple or len(item) != 2:
                why = f"a queue item is a (topic, event) pair, got {type(item).__name__}"
                await self._dead_letter(DecodeError(why), "unknown", None)
                continue
            topic, event = item
            if type(topic) is str and type(event) is str and (topic, event) == self._stop:
                return
            try:
                await self._local.publish(validate_topic(topic), event)
            except InvalidTopicError as exc:
                where = topic if isinstance(topic, str) else "unknown"
                await self._dead_letter(DecodeError(str(exc).splitlines()[0]), where, None)

    async def _dead_letter(self, error: DecodeError, topic: str, raw: bytes | None) -> None:
        letter = make_dead_letter(
            None,
            error,
            deliveries=1,
            topic=topic,
            group=None,
            raw=raw,
            route=self._local.dead_letter,
        )
        await self._local.publish(letter.topic, letter)

    def publisher(self) -> MultiprocessPublisher:
        """A picklable publisher for this broker."""
        return self._publisher

    async def publish(self, topic: str, event: Event | Any = None) -> Result[None, PublishError]:
        """Publish through the cross-process queue (same path as child processes)."""
        if self.closed:
            return Failure(BrokerClosedError("the broker is closed"))
        return await self._publisher.publish(topic, event)

    def consume(
        self, pattern: str, *, group: str | None = None, max_deliveries: int | None = None
    ) -> InMemorySubscription:
        """Subscribe in this process."""
        return self._local.consume(pattern, group=group, max_deliveries=max_deliveries)

    async def close(self) -> None:
        """Deliver what is queued, stop the pump, end subscriptions."""
        if self.closed:
            return
        self.closed = True
        if self._pump is not None:
            await self.queue.put_async(self._stop)
            await self._pump
        await self._local.close()
        self.queue.close()

    async def __aenter__(self) -> MultiprocessBroker:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
