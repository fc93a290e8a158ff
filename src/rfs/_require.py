"""``require(extra, module)``: import an optional library or raise the exact install hint.

Every adapter that needs a library outside the core dependencies calls this before importing
it, so a missing library always says which extra brings it::

    require("redis", "redis.asyncio", "RedisLeaderLock")
    import redis.asyncio as aioredis
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "require"]

# import name -> distribution name, where they differ
_DISTRIBUTIONS = {
    "aio_pika": "aio-pika",
    "nats": "nats-py",
    "redis": "redis-py",
    "aiokafka": "aiokafka",
    "paho": "paho-mqtt",
}


class MissingExtraError(ImportError):
    """An optional library is not installed; the message holds the ``pip install`` line."""

    def __init__(self, message: str, *, extra: str, module: str) -> None:
        super().__init__(message, name=module)
        self.extra = extra


def require(extra: str, module: str, feature: str | None = None) -> ModuleType:
    """Import ``module`` (dotted), or raise :class:`MissingExtraError` naming ``rfs[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.partition(".")[0]
        package = _DISTRIBUTIONS.get(top, top)
        what = feature or f"this part of rfs ({module})"
        raise MissingExtraError(
            f"{what} needs {package}: pip install 'rfs[{extra}]'", extra=extra, module=top
        ) from exc
