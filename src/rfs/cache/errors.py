"""Cache errors: programmer errors raise (key, serialisation); backend trouble is a value."""

from __future__ import annotations

__all__ = ["CacheBackendError", "CacheError", "CacheKeyError", "CacheSerializationError"]


class CacheError(Exception):
    """Base of the cache's errors."""


class CacheKeyError(CacheError, TypeError):
    """An argument cannot form a stable cache key (raised at decoration or the first call)."""


class CacheSerializationError(CacheError, TypeError):
    """A value cannot be stored by the backend's serializer (raised at the first set)."""


class CacheBackendError(CacheError):
    """A backend could not be reached or answered with an error (a ``Failure`` value).

    The decorated function never fails because of it: the loader is called, the error is
    counted, and nothing is cached.
    """

    def __init__(self, backend: str, message: str) -> None:
        super().__init__(f"cache backend {backend!r}: {message}")
        self.backend = backend
        self.message = message

    def __reduce__(self) -> tuple[type[CacheBackendError], tuple[str, str]]:
        return type(self), (self.backend, self.message)
