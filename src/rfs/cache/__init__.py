"""Result-aware caching (``@cached``), its backends, and the indexed store ``LocalMemory``.

``from rfs.cache import cached, CacheStrategy`` is cheap; the Redis backends import redis-py
the first time their name is looked up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "CacheStrategy": "rfs.cache.strategy",
    "resolve_ttl": "rfs.cache.strategy",
    "cached": "rfs.cache.decorator",
    "CachedFunction": "rfs.cache.decorator",
    "AsyncCachedFunction": "rfs.cache.decorator",
    "cache_invalidate_by_prefix": "rfs.cache.invalidation",
    "invalidate_tags": "rfs.cache.invalidation",
    "warm": "rfs.cache.warming",
    "warmer": "rfs.cache.warming",
    "cache_stats": "rfs.cache.stats",
    "FunctionStats": "rfs.cache.stats",
    "default_backend": "rfs.cache.defaults",
    "set_default_backend": "rfs.cache.defaults",
    "Entry": "rfs.cache.ports",
    "CacheBackend": "rfs.cache.ports",
    "LocalBackend": "rfs.cache.ports",
    "DistributedLock": "rfs.cache.ports",
    "CacheError": "rfs.cache.errors",
    "CacheKeyError": "rfs.cache.errors",
    "CacheSerializationError": "rfs.cache.errors",
    "CacheBackendError": "rfs.cache.errors",
    "encode": "rfs.cache.keys",
    "KeyBuilder": "rfs.cache.keys",
    "MemoryBackend": "rfs.cache.backends.memory",
    "approximate_size": "rfs.cache.backends.memory",
    "JsonSerializer": "rfs.cache.serializers",
    "SignedPickleSerializer": "rfs.cache.serializers",
    "Serializer": "rfs.cache.serializers",
    "RedisBackend": "rfs.cache.backends.redis",
    "TwoLevelBackend": "rfs.cache.backends.two_level",
    "LocalMemory": "rfs.cache.local_memory",
    "UnindexedQueryError": "rfs.cache.local_memory",
}

__all__ = [
    "AsyncCachedFunction",
    "CacheBackend",
    "CacheBackendError",
    "CacheError",
    "CacheKeyError",
    "CacheSerializationError",
    "CacheStrategy",
    "CachedFunction",
    "DistributedLock",
    "Entry",
    "FunctionStats",
    "JsonSerializer",
    "KeyBuilder",
    "LocalBackend",
    "LocalMemory",
    "MemoryBackend",
    "RedisBackend",
    "Serializer",
    "SignedPickleSerializer",
    "TwoLevelBackend",
    "UnindexedQueryError",
    "approximate_size",
    "cache_invalidate_by_prefix",
    "cache_stats",
    "cached",
    "default_backend",
    "encode",
    "invalidate_tags",
    "resolve_ttl",
    "set_default_backend",
    "warm",
    "warmer",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from rfs.cache.backends.memory import MemoryBackend, approximate_size
    from rfs.cache.backends.redis import RedisBackend
    from rfs.cache.backends.two_level import TwoLevelBackend
    from rfs.cache.decorator import AsyncCachedFunction, CachedFunction, cached
    from rfs.cache.defaults import default_backend, set_default_backend
    from rfs.cache.errors import (
        CacheBackendError,
        CacheError,
        CacheKeyError,
        CacheSerializationError,
    )
    from rfs.cache.invalidation import cache_invalidate_by_prefix, invalidate_tags
    from rfs.cache.keys import KeyBuilder, encode
    from rfs.cache.local_memory import LocalMemory, UnindexedQueryError
    from rfs.cache.ports import CacheBackend, DistributedLock, Entry, LocalBackend
    from rfs.cache.serializers import JsonSerializer, Serializer, SignedPickleSerializer
    from rfs.cache.stats import FunctionStats, cache_stats
    from rfs.cache.strategy import CacheStrategy, resolve_ttl
    from rfs.cache.warming import warm, warmer
