"""Two-level backend: an in-process L1 (``MemoryBackend``) in front of a shared Redis L2.

Reads try L1, then L2 (a hit fills L1); writes go to both. Every write and invalidation is
published on ``<prefix>invalidate`` so the other processes drop the same L1 entries; each
message carries this instance's id, so it ignores its own. ``l1_ttl`` caps how long L1 keeps
an entry, bounding staleness should a message be lost (Redis restarted, connection dropped).
L1 is cleared when the channel is lost and again once it is back (what was cached meanwhile
may have missed a message); while it is down, L1 keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from rfs.cache.backends.memory import MemoryBackend
from rfs.cache.backends.redis import RedisBackend
from rfs.cache.errors import CacheBackendError
from rfs.cache.ports import Entry
from rfs.cache.stats import register_backend

__all__ = ["TwoLevelBackend"]

log = logging.getLogger("rfs.cache")


class TwoLevelBackend:
    """L1 per process + Redis L2, kept coherent by pub/sub invalidation messages.

    ``on_invalidate`` is called with each message applied from another process (useful for
    metrics, and for tests to wait on). ``await start()`` subscribes before first use
    (``get``/``set`` start it too); ``await aclose()`` stops listening.
    """

    def __init__(
        self,
        l2: RedisBackend,
        l1: MemoryBackend | None = None,
        *,
        l1_ttl: float | None = 60.0,
        name: str = "two-level",
        on_invalidate: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.l2 = l2
        self.l1 = l1 if l1 is not None else MemoryBackend(name=f"{name}-l1")
        self.l1_ttl = l1_ttl
        self.name = name
        self.clock = self.l1.clock
        self.channel = f"{l2.prefix}invalidate"
        self.on_invalidate = on_invalidate
        self.origin = secrets.token_hex(8)
        self.peek = self.l1.peek
        self.lock_timeout = l2.lock_timeout
        self._listener: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self.counters = dict.fromkeys(
            ("published", "received", "publish_errors", "channel_errors"), 0
        )
        register_backend(self)

    async def start(self) -> None:
        """Subscribe to invalidation messages (idempotent; returns once subscribed)."""
        if self._listener is not None and not self._listener.done():
            assert self._ready is not None
            await self._ready.wait()
            return
        self._ready = asyncio.Event()
        self._listener = asyncio.get_running_loop().create_task(self._listen(self._ready))
        await asyncio.wait(
            {self._listener, asyncio.ensure_future(self._ready.wait())},
            return_when=asyncio.FIRST_COMPLETED,
        )

    async def _listen(self, ready: asyncio.Event) -> None:
        delay = 0.05
        lost = False  # from a failure until the next subscription
        while True:
            try:
                async with self.l2.client().pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    if lost:  # what L1 took in while we were away may have missed a message
                        self.l1.clear_now()
                        lost = False
                        log.info("%s: invalidation channel back; L1 cleared", self.name)
                    ready.set()
                    delay = 0.05
                    async for message in pubsub.listen():
                        self._apply(message.get("data"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: L1 may have missed messages
                ready.set()
                self.counters["channel_errors"] += 1
                if not lost:  # once per outage: L1 serves (what it caches since) until it ends
                    lost = True
                    self.l1.clear_now()
                    log.warning("%s: invalidation channel lost (%s); L1 cleared", self.name, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _apply(self, data: Any) -> None:
        try:
            message = json.loads(data)
            if not isinstance(message, dict) or message.get("origin") == self.origin:
                return
            op, args = message.get("op"), message.get("args")
            if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
                return
        except (TypeError, ValueError):
            return  # not ours: anyone may publish on a channel
        if op == "keys":
            self.l1.remove(args)
        elif op == "tags":
            self.l1.remove_tags(args)
        elif op == "prefix" and args:
            self.l1.remove_prefix(args[0])
        elif op == "clear":
            self.l1.clear_now()
        else:
            return
        self.counters["received"] += 1
        if self.on_invalidate is not None:
            self.on_invalidate(message)

    async def _publish(self, op: str, args: list[str]) -> None:
        message = json.dumps({"origin": self.origin, "op": op, "args": args})
        try:
            await self.l2.client().publish(self.channel, message)
            self.counters["published"] += 1
        except Exception as exc:
            self.counters["publish_errors"] += 1
            raise CacheBackendError(self.name, f"publish failed: {exc}") from exc

    def _l1_entry(self, entry: Entry) -> Entry:
        if self.l1_ttl is None:
            return entry
        cap = self.clock() + self.l1_ttl
        if entry.stale_until <= cap:
            return entry
        return Entry(entry.value, min(entry.fresh_until, cap), cap, entry.tags)

    async def get(self, key: str) -> Entry | None:
        await self.start()
        entry = self.l1.peek(key)
        if entry is not None and entry.fresh_until > self.clock():
            return entry
        found = await self.l2.get(key)  # CacheBackendError: the engine keeps L1's stale entry
        if found is not None:
            self.l1.put(key, self._l1_entry(found))
            return found
        return entry

    async def set(self, key: str, entry: Entry) -> None:
        await self.start()
        self.l1.put(key, self._l1_entry(entry))
        await self.l2.set(key, entry)
        await self._publish("keys", [key])

    async def delete(self, keys: Iterable[str]) -> int:
        names = list(keys)
        self.l1.remove(names)
        removed = await self.l2.delete(names)
        await self._publish("keys", names)
        return removed

    async def delete_tags(self, tags: Iterable[str]) -> int:
        names = list(tags)
        self.l1.remove_tags(names)
        removed = await self.l2.delete_tags(names)
        await self._publish("tags", names)
        return removed

    async def delete_prefix(self, prefix: str) -> int:
        self.l1.remove_prefix(prefix)
        removed = await self.l2.delete_prefix(prefix)
        await self._publish("prefix", [prefix])
        return removed

    async def clear(self) -> None:
        self.l1.clear_now()
        await self.l2.clear()
        await self._publish("clear", [])

    # single-flight across processes: the L2's lock
    async def acquire(self, key: str) -> str | None:
        return await self.l2.acquire(key)

    async def release(self, key: str, token: str) -> None:
        await self.l2.release(key, token)

    async def wait_released(self, key: str) -> None:
        await self.l2.wait_released(key)

    def stats(self) -> dict[str, int]:
        return {**{f"l1_{k}": v for k, v in self.l1.stats().items()}, **self.counters}

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self.l2.aclose()
