"""Hit, miss, stale and error counters per cached function and per backend, as plain data.

``cache_stats()`` is the seed's ``/cache/stats``: a dict a web layer can serve as JSON.
Counters are plain integers bumped without a lock (a hit stays cheap); under heavy threading
an increment may be lost, never an entry.
"""

from __future__ import annotations

import weakref
from typing import Any

__all__ = ["FunctionStats", "cache_stats", "register_backend", "register_function"]

_FIELDS = (
    "hits",
    "misses",
    "stale_hits",
    "loads",
    "loader_errors",
    "timeouts",
    "backend_errors",
)


class FunctionStats:
    """Counters of one ``@cached`` function."""

    __slots__ = (*_FIELDS, "__weakref__", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self.reset()

    def reset(self) -> None:
        for field in _FIELDS:
            setattr(self, field, 0)

    def as_dict(self) -> dict[str, Any]:
        """The counters and the hit rate (hits and stale hits over all calls)."""
        data: dict[str, Any] = {field: getattr(self, field) for field in _FIELDS}
        calls = data["hits"] + data["misses"] + data["stale_hits"]
        data["hit_rate"] = (data["hits"] + data["stale_hits"]) / calls if calls else 0.0
        return data

    hits: int
    misses: int
    stale_hits: int
    loads: int
    loader_errors: int
    timeouts: int
    backend_errors: int


_functions: weakref.WeakValueDictionary[str, FunctionStats] = weakref.WeakValueDictionary()
_backends: weakref.WeakSet[Any] = weakref.WeakSet()


def register_function(stats: FunctionStats) -> None:
    """Report ``stats`` in ``cache_stats()`` while its function lives (a later one of the
    same name replaces it)."""
    _functions[stats.name] = stats


def register_backend(backend: Any) -> None:
    """Report ``backend.stats()`` in ``cache_stats()`` and invalidate it by prefix and tag."""
    _backends.add(backend)


def backends() -> list[Any]:
    """The live backends, in a stable order (by name)."""
    return sorted(_backends, key=lambda backend: str(backend.name))


def cache_stats() -> dict[str, Any]:
    """``{"functions": {name: counters}, "backends": {name: counters}}`` as plain data."""
    functions = {name: stats.as_dict() for name, stats in sorted(_functions.items())}
    stores: dict[str, Any] = {}
    for backend in backends():
        name, n = str(backend.name), 1
        while name in stores:
            n += 1
            name = f"{backend.name}#{n}"
        stores[name] = backend.stats()
    return {"functions": functions, "backends": stores}
