"""Caching a slow, fallible lookup: hits, single-flight, fail-safe, tags, LocalMemory.

Run with ``python -m examples cache_basics``. Everything is in memory; swap the backend for
``RedisBackend(...)`` or ``TwoLevelBackend(RedisBackend(...))`` to share it between processes.
"""

from __future__ import annotations

import asyncio
import time

from rfs.cache import (
    LocalMemory,
    MemoryBackend,
    cache_invalidate_by_prefix,
    cache_stats,
    cached,
    invalidate_tags,
    warm,
)
from rfs.result import Failure, Result, Success


class Clock:
    """Time that moves when the example says so (to show expiry without waiting)."""

    now = time.time()

    def __call__(self) -> float:
        return self.now


clock = Clock()
backend = MemoryBackend(max_entries=1_000, clock=clock)
database = {"u1": {"name": "Kim", "team": "a"}, "u2": {"name": "Lee", "team": "b"}}
database_up = True
loads = 0


@cached(ttl=60, stale_ttl=600, key="user:{user_id}", tags=["users"], backend=backend)
async def get_user_profile(user_id: str) -> Result[dict[str, str], str]:
    """A 50 ms query that can fail: a Failure is returned, never cached."""
    global loads
    loads += 1
    await asyncio.sleep(0.05)
    if not database_up:
        return Failure("database unavailable")
    if user_id not in database:
        return Failure(f"no user {user_id}")
    return Success(database[user_id])


async def main() -> None:
    global database_up
    results = await asyncio.gather(*(get_user_profile("u1") for _ in range(100)))
    print(f"100 concurrent calls -> {loads} load, {results[0]}")
    print(f"hit: {await get_user_profile('u1')}, loads still {loads}")
    print(f"missing user: {await get_user_profile('u9')} (not cached)")

    clock.now += 61  # u1 is now stale
    database_up = False
    print(f"database down, stale served: {await get_user_profile('u1')}")

    database_up = True
    print(f"warmed: {await warm(get_user_profile, ['u1', 'u2'], refresh=True)}")
    print(f"tag 'users' dropped {(await invalidate_tags('users')).unwrap()} entries")
    await get_user_profile("u2")
    print(f"prefix 'user:u2' dropped {(await cache_invalidate_by_prefix('user:u2')).unwrap()}")
    stats = get_user_profile.stats()  # also in cache_stats(), with every backend's counters
    print(f"stats: hits={stats['hits']} misses={stats['misses']} stale={stats['stale_hits']}")
    print(f"backends: {sorted(cache_stats()['backends'])}")

    memory = LocalMemory()
    for n in range(6):
        memory.add({"id": n, "type": "note" if n % 2 else "task", "owner": "kim", "timestamp": n})
    notes = [item["id"] for item in memory.query_by_type("note")]
    recent = [item["id"] for item in memory.query_by_time_range(3, 6)]
    print(f"LocalMemory: notes {notes}, timestamps 3..5 {recent}")


if __name__ == "__main__":
    asyncio.run(main())
