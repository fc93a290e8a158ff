"""Prefix and tag invalidation over every backend, warming, and the stats snapshot."""

from __future__ import annotations

import gc
import json

from rfs.cache import (
    MemoryBackend,
    cache_invalidate_by_prefix,
    cache_stats,
    cached,
    invalidate_tags,
    warm,
    warmer,
)
from rfs.result import Failure, Result, Success


async def test_prefix_invalidation_reaches_every_live_backend() -> None:
    """cache_invalidate_by_prefix(prefix) as in seed 003 clears matching keys everywhere."""
    first, second = MemoryBackend(), MemoryBackend()
    calls = []

    @cached(ttl=60, key="user:{uid}", backend=first)
    async def user(uid: str) -> str:
        calls.append(uid)
        return uid

    @cached(ttl=60, key="user:{uid}:orders", backend=second)
    def orders(uid: str) -> str:
        calls.append(uid + "/orders")
        return uid

    await user("1")
    orders("1")
    gc.collect()  # backends of earlier tests (a Redis one on a dead port, say) are gone
    removed = await cache_invalidate_by_prefix("user:1")
    assert removed.unwrap() >= 2
    await user("1")
    orders("1")
    assert calls == ["1", "1/orders", "1", "1/orders"]


async def test_tags_from_arguments() -> None:
    """A tag template names entries by argument; invalidating it spares the others."""
    backend = MemoryBackend()
    calls = []

    @cached(ttl=60, backend=backend, tags=["team:{team}"])
    async def member(team: str, name: str) -> str:
        calls.append(name)
        return name

    await member("a", "kim"), await member("b", "lee")
    assert await invalidate_tags("team:a", backends=[backend]) == Success(1)
    await member("a", "kim"), await member("b", "lee")
    assert calls == ["kim", "lee", "kim"]


async def test_warm_loads_ahead_and_reports_failures() -> None:
    """warm(fn, calls) fills the cache; failing calls come back with their Failure."""
    calls = []

    @cached(ttl=60, backend=MemoryBackend())
    async def price(sku: str) -> Result[int, str]:
        calls.append(sku)
        return Failure("unknown") if sku == "x" else Success(len(sku))

    assert await warm(price, ["ab", "abc"]) == Success(2)
    await price("ab")
    assert calls == ["ab", "abc"]
    outcome = await warm(price, ["x"])
    assert outcome == Failure([("x", Failure("unknown"))])


async def test_warmer_is_a_start_up_hook_and_refresh_reloads() -> None:
    """warmer() gives a zero-argument coroutine; refresh=True reloads cached keys."""
    calls = []

    @cached(ttl=60, backend=MemoryBackend())
    def total(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    hook = warmer(total, [(1, 2), {"a": 2, "b": 3}], refresh=True)
    assert await hook() == Success(2)
    assert await hook() == Success(2)
    assert total(1, 2) == 3
    assert sorted(calls) == [(1, 2), (1, 2), (2, 3), (2, 3)]


def test_stats_are_plain_json_data() -> None:
    """cache_stats() lists functions and backends with counters, ready to serve as JSON."""

    @cached(ttl=60, backend=MemoryBackend(name="stats-test"))
    def double(n: int) -> int:
        return n * 2

    double(1), double(1), double(2)
    snapshot = json.loads(json.dumps(cache_stats()))
    mine = snapshot["functions"][double.__rfs_cache__.name]
    assert (mine["hits"], mine["misses"], mine["hit_rate"]) == (1, 2, 1 / 3)
    assert snapshot["backends"]["stats-test"]["entries"] == 2


def test_import_loads_no_client_library() -> None:
    """``import rfs.cache`` and its in-memory names import neither redis nor anything else."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from rfs.cache import cached, MemoryBackend, LocalMemory, CacheStrategy\n"
        "print('redis' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_redis_backend_without_redis_py_names_the_extra() -> None:
    """Without redis-py the Redis backend's import error gives the pip command."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['redis'] = None\n"
        "try:\n"
        "    from rfs.cache import RedisBackend\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'rfs[redis]'" in out.stdout
