"""The cache's ports: a stored ``Entry``, the async ``CacheBackend``, and the sync ``LocalBackend``.

Every backend is async (``CacheBackend``); one that lives in the process also offers the sync
``LocalBackend`` methods, which sync functions need and async hits use as a fast path.
Backend methods raise ``CacheBackendError`` when the store cannot be reached; the decorator
catches it (the function still answers) and the public invalidation functions turn it into a
``Failure``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

__all__ = ["CacheBackend", "DistributedLock", "Entry", "LocalBackend"]


class Entry:
    """One stored outcome: fresh until ``fresh_until``, servable as stale until ``stale_until``.

    ``value`` is what the function returned (a ``Success``, a ``Failure`` when failures are
    cached, or a plain value); times are wall-clock seconds (``time.time()``), so entries
    written by one process are read correctly by another.
    """

    __slots__ = ("fresh_until", "stale_until", "tags", "value")

    def __init__(
        self, value: Any, fresh_until: float, stale_until: float, tags: tuple[str, ...] = ()
    ) -> None:
        self.value = value
        self.fresh_until = fresh_until
        self.stale_until = stale_until
        self.tags = tags

    def __repr__(self) -> str:
        return (
            f"Entry({self.value!r}, fresh_until={self.fresh_until}, "
            f"stale_until={self.stale_until}, tags={self.tags!r})"
        )


@runtime_checkable
class CacheBackend(Protocol):
    """Where entries live. ``name`` labels its statistics."""

    name: str

    async def get(self, key: str) -> Entry | None: ...

    async def set(self, key: str, entry: Entry) -> None: ...

    async def delete(self, keys: Iterable[str]) -> int: ...

    async def delete_tags(self, tags: Iterable[str]) -> int: ...

    async def delete_prefix(self, prefix: str) -> int: ...

    async def clear(self) -> None: ...

    def stats(self) -> dict[str, int]: ...


@runtime_checkable
class LocalBackend(CacheBackend, Protocol):
    """A backend in this process: the same operations, synchronous."""

    def peek(self, key: str) -> Entry | None: ...

    def put(self, key: str, entry: Entry) -> None: ...

    def remove(self, keys: Iterable[str]) -> int: ...

    def remove_tags(self, tags: Iterable[str]) -> int: ...

    def remove_prefix(self, prefix: str) -> int: ...


@runtime_checkable
class DistributedLock(Protocol):
    """Single-flight across processes: one loader per key at a time, for at most ``ttl``."""

    async def acquire(self, key: str) -> str | None:
        """A token when this process now holds the lock of ``key``; ``None`` when another does."""
        ...

    async def release(self, key: str, token: str) -> None: ...

    async def wait_released(self, key: str) -> None:
        """Return once the lock of ``key`` is free (released, or expired after its timeout)."""
        ...
