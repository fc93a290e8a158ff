"""Cache: rfs.cache against cashews, aiocache, cachetools and theine, in one process.

Cases: an in-memory hit through the decorator (sync: cachetools' TTLCache and LRUCache,
theine; async: cashews' and aiocache's memory backends, theine); 1,000 concurrent misses of
one key (loader calls); ``LocalMemory.query_by_type`` at 10K, 100K and 1M items against an
O(n) scan of the same items; and seed 003's scenario, a 150 ms loader behind an endpoint
at an 85% hit rate, p50/p99 without a cache, with ``@cached``, and with the keys warmed
first. Issue 16's targets are checked at the end.
"""

from __future__ import annotations

import asyncio
import gc
import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from benchmarks._harness import Row, available, per_call_ns, per_call_ns_async, report
from rfs.cache import LocalMemory, MemoryBackend, cached, warm
from rfs.result import Success

KEY = "user-42"


# -- hits -----------------------------------------------------------------------------------
def sync_hits() -> tuple[float, dict[str, float | None]]:
    @cached(ttl=600, backend=MemoryBackend())
    def ours(user_id: str) -> str:
        return user_id

    ours(KEY)
    peers: dict[str, float | None] = {"cachetools TTLCache": None, "cachetools LRUCache": None}
    if available("cachetools"):
        import cachetools

        @cachetools.cached(cachetools.TTLCache(10_000, 600))
        def ct_ttl(user_id: str) -> str:
            return user_id

        @cachetools.cached(cachetools.LRUCache(10_000))
        def ct_lru(user_id: str) -> str:
            return user_id

        ct_ttl(KEY), ct_lru(KEY)
        peers["cachetools TTLCache"] = per_call_ns(lambda: ct_ttl(KEY))
        peers["cachetools LRUCache"] = per_call_ns(lambda: ct_lru(KEY))
    peers["theine"] = _theine_sync()
    return per_call_ns(lambda: ours(KEY)), peers


def _theine_sync() -> float | None:
    if not available("theine"):
        return None
    from theine import Memoize

    @Memoize(10_000, timedelta(seconds=600))
    def th(user_id: str) -> str:
        return user_id

    @th.key
    def _(user_id: str) -> str:
        return user_id

    th(KEY)
    return per_call_ns(lambda: th(KEY))


def async_hits() -> tuple[float, dict[str, float | None]]:
    @cached(ttl=600, backend=MemoryBackend())
    async def ours(user_id: str) -> str:
        return user_id

    peers: dict[str, Callable[[], Any] | None] = {"cashews": None, "aiocache": None}
    if available("cashews"):
        from cashews import Cache

        cashews_cache = Cache()
        cashews_cache.setup("mem://")

        @cashews_cache(ttl="10m")
        async def cw(user_id: str) -> str:
            return user_id

        peers["cashews"] = lambda: cw(KEY)
    if available("aiocache"):
        import aiocache

        @aiocache.cached(ttl=600)
        async def ac(user_id: str) -> str:
            return user_id

        peers["aiocache"] = lambda: ac(KEY)
    if available("theine"):
        from theine import Memoize

        @Memoize(10_000, timedelta(seconds=600))
        async def th(user_id: str) -> str:
            return user_id

        @th.key
        def _(user_id: str) -> str:
            return user_id

        peers["theine"] = lambda: th(KEY)

    async def warm() -> None:
        await ours(KEY)
        for make in peers.values():
            if make is not None:
                await make()

    asyncio.run(warm())
    measured = {
        name: (per_call_ns_async(make, number=5_000) if make is not None else None)
        for name, make in peers.items()
    }
    return per_call_ns_async(lambda: ours(KEY), number=5_000), measured


# -- stampede -------------------------------------------------------------------------------
def stampede(n: int = 1_000) -> tuple[float, dict[str, float | None]]:
    async def run(decorate: Callable[[Any], Any]) -> int:
        calls = 0

        async def load(user_id: str) -> str:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.05)
            return user_id

        fn = decorate(load)
        await asyncio.gather(*(fn(KEY) for _ in range(n)))
        return calls

    ours = asyncio.run(run(lambda f: cached(ttl=600, backend=MemoryBackend())(f)))
    peers: dict[str, float | None] = {"cashews": None, "aiocache": None}
    if available("cashews"):
        from cashews import Cache

        cw = Cache()
        cw.setup("mem://")
        peers["cashews"] = asyncio.run(run(lambda f: cw(ttl="10m")(f)))
    if available("aiocache"):
        import aiocache

        peers["aiocache"] = asyncio.run(run(lambda f: aiocache.cached(ttl=600)(f)))
    return ours, peers


# -- LocalMemory ----------------------------------------------------------------------------
def query_case(size: int) -> Row:
    """query_by_type on ``size`` items in 10 types, against scanning the same items."""
    memory = LocalMemory()
    items = [
        {"id": i, "type": f"t{i % 10}", "owner": f"o{i % 1000}", "timestamp": i}
        for i in range(size)
    ]
    for item in items:
        memory.add(item)
    ours = per_call_ns(lambda: memory.query_by_type("t3"))
    scan = per_call_ns(lambda: [i for i in items if i["type"] == "t3"], repeat=3)
    return Row(f"LocalMemory.query_by_type, {size:,} items", ours, {"O(n) scan": scan})


def local_memory(sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)) -> list[Row]:
    rows = []
    for size in sizes:
        rows.append(query_case(size))
        gc.collect()
    return rows


# -- seed 003's scenario ----------------------------------------------------------------------
async def endpoint_latencies(mode: str, requests: int = 400, keys: int = 60) -> list[float]:
    """Latency (ms) of ``requests`` calls of a 150 ms loader over ``keys`` users (85% hits)."""

    async def load(user_id: str) -> Success[dict[str, str]]:
        await asyncio.sleep(0.150)
        return Success({"id": user_id})

    handler: Any = load
    if mode != "none":
        handler = cached(ttl=600, backend=MemoryBackend())(load)
    if mode == "warmed":  # seed 003's warming: load every key before the traffic comes
        await warm(handler, [f"u{i}" for i in range(keys)], concurrency=keys)
    rng = random.Random(3)
    order = [f"u{rng.randrange(keys)}" for _ in range(requests)]
    for user in {f"u{i}" for i in range(keys)} - set(order):
        order[rng.randrange(requests)] = user  # every key at least once: hit rate 85%
    gate = asyncio.Semaphore(50)
    samples: list[float] = []

    async def request(user: str) -> None:
        async with gate:
            start = time.perf_counter()
            await handler(user)
            samples.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(request(user) for user in order))
    return samples


def _pct(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=100)[98]


def main() -> None:
    rows: list[Row] = []
    ours, peers = sync_hits()
    rows.append(Row("@cached hit, sync", ours, peers))
    ours_async, async_peers = async_hits()
    rows.append(Row("@cached hit, async", ours_async, async_peers))
    calls, stampede_peers = stampede()
    rows.append(Row("1,000 concurrent misses: loader calls", calls, stampede_peers, unit="calls"))
    lm_rows = local_memory()
    rows.extend(lm_rows)
    before = _pct(asyncio.run(endpoint_latencies("none")))
    after = _pct(asyncio.run(endpoint_latencies("cached")))
    warmed = _pct(asyncio.run(endpoint_latencies("warmed")))
    for label, at in (("p50", 0), ("p99", 1)):
        rows.append(
            Row(
                f"seed 003 endpoint {label} (150 ms loader, 85% hits)",
                after[at],
                {"no cache": before[at], "@cached + warm()": warmed[at]},
                "ms",
            )
        )
    note = "peer/rfs > 1: rfs is faster (or makes fewer loader calls)"
    report("cache: decorator hits and stampede", rows[:3], note=note)
    report("cache: LocalMemory", rows[3:-2], note=note)
    report("cache: seed 003 endpoint", rows[-2:], note=note)

    checks = [
        ("async hit >= 2x faster than cashews", async_peers.get("cashews"), ours_async, 2.0),
        ("async hit >= 2x faster than aiocache", async_peers.get("aiocache"), ours_async, 2.0),
        (
            "sync hit within 1.5x of cachetools TTLCache",
            peers["cachetools TTLCache"],
            ours,
            1 / 1.5,
        ),
        (
            "sync hit within 1.5x of cachetools LRUCache",
            peers["cachetools LRUCache"],
            ours,
            1 / 1.5,
        ),
    ]
    for label, peer, mine, ratio in checks:
        verdict = "n/a" if peer is None else ("met" if peer / mine >= ratio else "NOT met")
        print(f"{label}: {verdict}")
    print(f"1,000 concurrent misses -> {calls:.0f} loader call(s) (target 1)")
    small, large = lm_rows[0].ours, lm_rows[-1].ours
    print(
        f"query_by_type 1M/10K time ratio: {large / small:.2f} (O(1): ~1); vs scan at 1M: "
        f"{lm_rows[-1].peers['O(n) scan'] / large:,.0f}x (seed: 100x)"
    )
    print(
        f"seed 003: p50 {before[0]:.1f} -> {after[0]:.3f} ms (target 50 ms), p99 {before[1]:.1f}"
        f" -> {after[1]:.1f} ms (cold keys miss) -> {warmed[1]:.3f} ms with warm()"
    )


if __name__ == "__main__":
    main()
