"""@cached on sync and async functions: Result-aware storing, single-flight, fail-safe, stats."""

from __future__ import annotations

import asyncio
import threading

import pytest

from rfs.cache import CacheStrategy, MemoryBackend, cached
from rfs.result import Failure, Result, Success

from .conftest import Clock


async def test_seed_003_snippet_runs() -> None:
    """Seed 003's decorator line works as written and caches the profile."""
    calls = []

    @cached(ttl=3600, strategy="MEDIUM")
    async def get_user_profile(user_id: str):  # type: ignore[no-untyped-def]
        calls.append(user_id)
        return Success({"id": user_id})

    assert await get_user_profile("u1") == await get_user_profile("u1") == Success({"id": "u1"})
    assert calls == ["u1"]


def test_sync_hits_and_misses(clock: Clock) -> None:
    """A sync function is called once per key within its TTL, again after it."""
    calls = []

    @cached(ttl=10, backend=MemoryBackend(clock=clock))
    def square(n: int) -> int:
        calls.append(n)
        return n * n

    assert [square(3), square(3), square(4)] == [9, 9, 16]
    clock.advance(11)
    assert square(3) == 9
    assert calls == [3, 4, 3]
    assert square.stats()["hits"] == 1 and square.stats()["misses"] == 3


async def test_success_cached_failure_not(clock: Clock) -> None:
    """A Failure is returned but not stored, so the next call tries again."""
    outcomes: list[Result[int, str]] = [Failure("down"), Success(1)]

    @cached(ttl=10, backend=MemoryBackend(clock=clock))
    async def load(key: str) -> Result[int, str]:
        return outcomes.pop(0)

    assert await load("k") == Failure("down")
    assert await load("k") == Success(1)
    assert await load("k") == Success(1)
    assert load.stats()["loader_errors"] == 1


async def test_cache_failures_gives_failures_their_own_ttl(clock: Clock) -> None:
    """With cache_failures=5 a Failure is served for 5 s, then the loader runs again."""
    calls = []

    @cached(ttl=100, cache_failures=5, backend=MemoryBackend(clock=clock))
    async def load(key: str) -> Result[int, str]:
        calls.append(key)
        return Failure("not found")

    assert await load("k") == await load("k") == Failure("not found")
    clock.advance(6)
    await load("k")
    assert len(calls) == 2


async def test_exceptions_are_never_cached() -> None:
    """An exception propagates to the caller and the next call runs the loader again."""
    calls = []

    @cached(ttl=100, backend=MemoryBackend())
    async def load(key: str) -> int:
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return 1

    with pytest.raises(RuntimeError, match="boom"):
        await load("k")
    assert await load("k") == 1
    assert len(calls) == 2


async def test_concurrent_misses_run_the_loader_once() -> None:
    """1,000 concurrent misses of one key make one loader call and all get its value."""
    calls = 0
    gate = asyncio.Event()

    @cached(ttl=60, backend=MemoryBackend())
    async def load(key: str) -> Success[str]:
        nonlocal calls
        calls += 1
        await gate.wait()
        return Success(key.upper())

    waiting = [asyncio.ensure_future(load("k")) for _ in range(1000)]
    await asyncio.sleep(0)
    gate.set()
    assert set(await asyncio.gather(*waiting)) == {Success("K")}
    assert calls == 1


async def test_concurrent_waiters_share_an_exception() -> None:
    """Every waiter of a failing single flight gets the loader's exception."""
    gate = asyncio.Event()

    @cached(ttl=60, backend=MemoryBackend())
    async def load(key: str) -> int:
        await gate.wait()
        raise LookupError(key)

    waiting = [asyncio.ensure_future(load("k")) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)


def test_threads_share_one_sync_load() -> None:
    """Eight threads missing one key at once run the sync loader once."""
    calls = 0
    started, release = threading.Event(), threading.Event()

    @cached(ttl=60, backend=MemoryBackend())
    def load(key: str) -> str:
        nonlocal calls
        calls += 1
        started.set()
        release.wait(5)
        return key

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(load("k"))) for _ in range(8)]
    threads[0].start()
    started.wait(5)
    for thread in threads[1:]:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == ["k"] * 8 and calls == 1


async def test_fail_safe_serves_stale_when_the_refresh_fails(clock: Clock) -> None:
    """Past its TTL, a value whose refresh returns a Failure is served stale and counted,
    and the source is not asked again before fail_safe_throttle has passed."""
    outcomes: list[Result[str, str]] = [Success("v1"), Failure("db down"), Success("v2")]

    @cached(ttl=10, stale_ttl=100, backend=MemoryBackend(clock=clock))
    async def load(key: str) -> Result[str, str]:
        return outcomes.pop(0)

    assert await load("k") == Success("v1")
    clock.advance(11)
    assert await load("k") == Success("v1")
    assert load.stats()["stale_hits"] == 1 and load.stats()["loader_errors"] == 1
    assert await load("k") == Success("v1")  # throttled: the failing source rests 5 s
    assert load.stats()["loads"] == 2
    clock.advance(5)
    assert await load("k") == Success("v2")


async def test_soft_timeout_serves_stale_and_the_refresh_lands_later(clock: Clock) -> None:
    """A slow refresh past timeout= returns the stale value; it finishes in the background."""
    release = asyncio.Event()
    version = 0

    @cached(ttl=10, stale_ttl=100, timeout=0.01, backend=MemoryBackend(clock=clock))
    async def load(key: str) -> Success[int]:
        nonlocal version
        version += 1
        if version > 1:
            await release.wait()
        return Success(version)

    assert await load("k") == Success(1)
    clock.advance(11)
    assert await load("k") == Success(1)  # served stale after 10 ms
    assert load.stats()["timeouts"] == 1
    release.set()
    for _ in range(3):  # the background task resumes, returns, and stores
        await asyncio.sleep(0)
    assert await load("k") == Success(2)
    assert load.stats()["loads"] == 2


async def test_timeout_zero_is_stale_while_revalidate(clock: Clock) -> None:
    """timeout=0 returns the stale value at once and refreshes in the background."""
    version = 0

    @cached(ttl=10, stale_ttl=100, timeout=0, backend=MemoryBackend(clock=clock))
    async def load(key: str) -> int:
        nonlocal version
        version += 1
        return version

    assert await load("k") == 1
    clock.advance(11)
    assert await load("k") == 1
    await asyncio.sleep(0)  # the background refresh runs
    assert await load("k") == 2


def test_sync_fail_safe_and_soft_timeout(clock: Clock) -> None:
    """The sync path serves stale on a Failure and when the refresh outlasts timeout=."""
    release = threading.Event()
    outcomes: list[Result[str, str]] = [Success("v1"), Failure("x")]

    @cached(ttl=10, stale_ttl=100, timeout=0.01, backend=MemoryBackend(clock=clock))
    def load(key: str) -> Result[str, str]:
        if not outcomes:
            release.wait(5)
            return Success("v3")
        return outcomes.pop(0)

    assert load("k") == Success("v1")
    clock.advance(11)
    assert load("k") == Success("v1")  # refresh failed
    clock.advance(5)  # past the fail-safe throttle
    assert load("k") == Success("v1")  # refresh too slow
    assert load.stats()["timeouts"] == 1
    release.set()


async def test_methods_sync_and_async() -> None:
    """Async and sync methods cache per argument, not per instance."""

    class Service:
        calls = 0

        @cached(ttl=60, backend=MemoryBackend())
        async def fetch(self, item_id: int) -> int:
            Service.calls += 1
            return item_id

    a, b = Service(), Service()
    assert await a.fetch(1) == await b.fetch(1) == 1
    assert Service.calls == 1
    assert await Service.fetch.invalidate(1) == Success(1)
    await a.fetch(1)
    assert Service.calls == 2


def test_invalidate_one_call() -> None:
    """invalidate(args) drops exactly that call's entry."""
    calls = []

    @cached(ttl=60, backend=MemoryBackend())
    def load(key: str) -> str:
        calls.append(key)
        return key

    load("a"), load("b")
    assert load.invalidate("a") == Success(1)
    load("a"), load("b")
    assert calls == ["a", "b", "a"]


def test_never_strategy_calls_through() -> None:
    """strategy=NEVER caches nothing."""
    calls = []

    @cached(strategy=CacheStrategy.NEVER)
    def load(key: str) -> str:
        calls.append(key)
        return key

    load("a"), load("a")
    assert calls == ["a", "a"]


def test_sync_function_with_an_async_backend_is_refused(prefix: str) -> None:
    """A sync function cannot use Redis; the error says to make it async."""
    pytest.importorskip("redis")
    from rfs.cache import RedisBackend

    with pytest.raises(TypeError, match="make the function async"):

        @cached(ttl=60, backend=RedisBackend(prefix=prefix))
        def load(key: str) -> str:
            return key


def test_bare_decorator_uses_the_defaults() -> None:
    """@cached without arguments caches for the MEDIUM strategy's hour."""
    calls = []

    @cached
    def load(key: str) -> str:
        calls.append(key)
        return key

    load("x"), load("x")
    assert calls == ["x"]
