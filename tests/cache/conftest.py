"""Cache fixtures: a manual clock, and Redis backends on a random prefix cleaned up after."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest


class Clock:
    """A wall clock that moves only when told."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def prefix() -> str:
    return f"rfs-test:{secrets.token_hex(6)}:"


@pytest.fixture
async def redis_backend(redis_url: str, prefix: str) -> AsyncIterator[object]:
    from rfs.cache import RedisBackend

    backend = RedisBackend(redis_url, prefix=prefix, lock_timeout=2.0)
    yield backend
    await backend.clear()
    await backend.aclose()
