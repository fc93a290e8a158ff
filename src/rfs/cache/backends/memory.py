"""In-process backend: LRU bounded by entries and by bytes, TTL, thread-safe, O(1) get and set.

A hit is two C-level ``OrderedDict`` operations without a lock; writes, evictions and
invalidations take one ``threading.Lock``. Expired entries are dropped when read and evicted
first-in-LRU-order otherwise.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from rfs.cache.ports import Entry
from rfs.cache.stats import register_backend
from rfs.result import Failure, Success

__all__ = ["MemoryBackend", "approximate_size"]

_CONTAINERS = (list, tuple, set, frozenset)


def approximate_size(value: Any, _depth: int = 0) -> int:
    """Bytes held by ``value`` and what it contains (containers, Results, up to 8 levels)."""
    if isinstance(value, Success | Failure):
        inner = value.value if isinstance(value, Success) else value.error
        return sys.getsizeof(value) + approximate_size(inner, _depth + 1)
    size = sys.getsizeof(value)
    if _depth >= 8:
        return size
    if isinstance(value, dict):
        for k, v in value.items():
            size += approximate_size(k, _depth + 1) + approximate_size(v, _depth + 1)
    elif isinstance(value, _CONTAINERS):
        for item in value:
            size += approximate_size(item, _depth + 1)
    elif hasattr(value, "__dict__"):
        size += approximate_size(vars(value), _depth + 1)
    return size


class MemoryBackend:
    """The default backend: this process's memory.

    ``max_entries`` and ``max_bytes`` bound it (least recently used first out; ``None``: no
    bound of that kind); ``sizer`` measures a value's bytes (default ``approximate_size``),
    only called when ``max_bytes`` is set. ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        *,
        max_entries: int | None = 10_000,
        max_bytes: int | None = None,
        sizer: Callable[[Any], int] = approximate_size,
        name: str = "memory",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries is not None and max_entries < 1:
            raise ValueError(f"max_entries must be >= 1 or None, got {max_entries}")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1 or None, got {max_bytes}")
        self.name = name
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.sizer = sizer
        self.clock = clock
        self._data: OrderedDict[str, Entry] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._tags: dict[str, set[str]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = self.sets = self.evictions = self.expirations = 0
        self.rejected = 0
        self.peek = self._peeker()
        register_backend(self)

    def __len__(self) -> int:
        return len(self._data)

    @property
    def bytes(self) -> int:
        """Bytes held, as measured by ``sizer`` (0 unless ``max_bytes`` is set)."""
        return self._bytes

    def _peeker(self) -> Callable[[str], Entry | None]:
        get, touch, clock, expired = (
            self._data.get,
            self._data.move_to_end,
            self.clock,
            self._expired,
        )

        def peek(key: str) -> Entry | None:
            """The entry of ``key`` when it is fresh or still servable as stale."""
            entry = get(key)
            if entry is None or entry.stale_until <= clock():
                return expired(key, entry)
            try:
                touch(key)
            except KeyError:  # removed by another thread between the two calls
                return entry
            self.hits += 1
            return entry

        return peek

    def _expired(self, key: str, entry: Entry | None) -> None:
        if entry is not None:
            with self._lock:
                if self._data.get(key) is entry:
                    self._drop(key)
                    self.expirations += 1
        self.misses += 1
        return None

    def put(self, key: str, entry: Entry) -> None:
        """Store ``entry`` under ``key``, evicting least recently used entries past a bound."""
        size = self.sizer(entry.value) if self.max_bytes is not None else 0
        with self._lock:
            if key in self._data:
                self._drop(key)
            if self.max_bytes is not None and size > self.max_bytes:
                self.rejected += 1
                return
            self._data[key] = entry
            if size:
                self._sizes[key] = size
                self._bytes += size
            for tag in entry.tags:
                self._tags.setdefault(tag, set()).add(key)
            self.sets += 1
            while (self.max_entries is not None and len(self._data) > self.max_entries) or (
                self.max_bytes is not None and self._bytes > self.max_bytes
            ):
                oldest = next(iter(self._data))
                self._drop(oldest)
                self.evictions += 1

    def _drop(self, key: str) -> None:
        """Remove ``key`` and its index entries (the lock is held)."""
        entry = self._data.pop(key)
        self._bytes -= self._sizes.pop(key, 0)
        for tag in entry.tags:
            keys = self._tags.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._tags[tag]

    def remove(self, keys: Iterable[str]) -> int:
        """Delete ``keys``; the number that were there."""
        removed = 0
        with self._lock:
            for key in keys:
                if key in self._data:
                    self._drop(key)
                    removed += 1
        return removed

    def remove_tags(self, tags: Iterable[str]) -> int:
        """Delete every entry carrying one of ``tags``."""
        with self._lock:
            keys = {key for tag in tags for key in self._tags.get(tag, ())}
            for key in keys:
                self._drop(key)
        return len(keys)

    def remove_prefix(self, prefix: str) -> int:
        """Delete every entry whose key starts with ``prefix`` (a scan: invalidation is rare)."""
        with self._lock:
            keys = [key for key in list(self._data) if key.startswith(prefix)]
            for key in keys:
                self._drop(key)
        return len(keys)

    def purge_expired(self) -> int:
        """Drop every entry past its stale window now (otherwise done lazily)."""
        now = self.clock()
        with self._lock:
            keys = [key for key, entry in list(self._data.items()) if entry.stale_until <= now]
            for key in keys:
                self._drop(key)
            self.expirations += len(keys)
        return len(keys)

    def clear_now(self) -> None:
        with self._lock:
            self._data.clear()
            self._sizes.clear()
            self._tags.clear()
            self._bytes = 0

    def stats(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "sets": self.sets,
            "evictions": self.evictions,
            "expirations": self.expirations,
            "rejected": self.rejected,
            "entries": len(self._data),
            "bytes": self._bytes,
            "errors": 0,
        }

    # the async port, for code written against any backend
    async def get(self, key: str) -> Entry | None:
        return self.peek(key)

    async def set(self, key: str, entry: Entry) -> None:
        self.put(key, entry)

    async def delete(self, keys: Iterable[str]) -> int:
        return self.remove(keys)

    async def delete_tags(self, tags: Iterable[str]) -> int:
        return self.remove_tags(tags)

    async def delete_prefix(self, prefix: str) -> int:
        return self.remove_prefix(prefix)

    async def clear(self) -> None:
        self.clear_now()
