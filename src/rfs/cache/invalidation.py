"""Invalidation by prefix and tag across every live backend (seed 003)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from rfs.cache.errors import CacheBackendError
from rfs.cache.ports import CacheBackend
from rfs.cache.stats import backends
from rfs.result import Failure, Result, Success

__all__ = ["cache_invalidate_by_prefix", "invalidate_tags"]


async def _each(
    targets: Iterable[CacheBackend] | None,
    operation: Callable[[CacheBackend], Awaitable[int]],
) -> Result[int, CacheBackendError]:
    removed, error = 0, None
    for backend in backends() if targets is None else targets:
        try:
            removed += await operation(backend)
        except CacheBackendError as exc:
            error = error or exc
    return Failure(error) if error is not None else Success(removed)


async def cache_invalidate_by_prefix(
    prefix: str, *, backends: Iterable[CacheBackend] | None = None
) -> Result[int, CacheBackendError]:
    """Delete every entry whose key starts with ``prefix``, in every live backend (or the
    given ones): ``Success(number removed)``, or the first backend's error (the others are
    still invalidated)."""
    if not prefix:
        raise ValueError("an empty prefix would delete everything; use clear() on the backend")
    return await _each(backends, lambda backend: backend.delete_prefix(prefix))


async def invalidate_tags(
    *tags: str, backends: Iterable[CacheBackend] | None = None
) -> Result[int, CacheBackendError]:
    """Delete every entry carrying one of ``tags``, in every live backend (or the given ones)."""
    return await _each(backends, lambda backend: backend.delete_tags(tags))
