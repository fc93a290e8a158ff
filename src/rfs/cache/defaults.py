"""The process-wide default backend (an in-memory one) used when ``backend=`` is not given."""

from __future__ import annotations

from rfs.cache.backends.memory import MemoryBackend
from rfs.cache.ports import CacheBackend

__all__ = ["default_backend", "set_default_backend"]

_default: CacheBackend | None = None


def default_backend() -> CacheBackend:
    """The backend ``@cached`` uses without ``backend=`` (created on first use)."""
    global _default
    if _default is None:
        _default = MemoryBackend(name="default")
    return _default


def set_default_backend(backend: CacheBackend | None) -> CacheBackend | None:
    """Make ``backend`` the default for functions decorated from now on; returns the previous
    one (``None`` restores a fresh in-memory default on next use)."""
    global _default
    previous, _default = _default, backend
    return previous
