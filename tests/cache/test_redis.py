"""RedisBackend against a real server: sharing, invalidation, locks across processes, faults."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from _waiting import until
from rfs.cache import (
    CacheSerializationError,
    RedisBackend,
    SignedPickleSerializer,
    cache_invalidate_by_prefix,
    cached,
    invalidate_tags,
)
from rfs.result import Failure, Success

pytestmark = pytest.mark.service("redis")
WORKER = Path(__file__).with_name("_worker.py")


async def test_two_clients_share_entries(
    redis_backend: RedisBackend, redis_url: str, prefix: str
) -> None:
    """A value stored through one client is a hit through another (another process's view)."""
    calls = []

    def make(backend: RedisBackend) -> Any:
        @cached(ttl=60, backend=backend, key="profile:{user_id}")
        async def profile(user_id: str) -> Success[dict[str, str]]:
            calls.append(user_id)
            return Success({"id": user_id})

        return profile

    other = RedisBackend(redis_url, prefix=prefix)
    assert await make(redis_backend)("u1") == Success({"id": "u1"})
    assert await make(other)("u1") == Success({"id": "u1"})
    assert calls == ["u1"]
    await other.aclose()


async def test_tag_and_prefix_invalidation(redis_backend: RedisBackend) -> None:
    """invalidate_tags and cache_invalidate_by_prefix delete exactly the matching entries."""
    calls = []

    @cached(ttl=60, backend=redis_backend, key="user:{uid}:{part}", tags=["user:{uid}", "all"])
    async def part(uid: str, part: str) -> Success[str]:
        calls.append((uid, part))
        return Success(f"{uid}/{part}")

    for uid in ("1", "2"):
        for name in ("a", "b"):
            await part(uid, name)
    assert await invalidate_tags("user:1", backends=[redis_backend]) == Success(2)
    assert await cache_invalidate_by_prefix("user:2:a", backends=[redis_backend]) == Success(1)
    for uid in ("1", "2"):
        for name in ("a", "b"):
            await part(uid, name)
    assert len(calls) == 4 + 3


async def test_glob_characters_in_a_prefix_are_literal(redis_backend: RedisBackend) -> None:
    """A prefix containing * or [ matches only keys that literally start with it."""

    @cached(ttl=60, backend=redis_backend, key="{k}")
    async def echo(k: str) -> str:
        return k

    await echo("a*b"), await echo("axb")
    assert await redis_backend.delete_prefix("a*") == 1


async def test_unserialisable_value_fails_at_the_first_set(redis_backend: RedisBackend) -> None:
    """A value JSON cannot store raises CacheSerializationError on the first call."""

    @cached(ttl=60, backend=redis_backend)
    async def load(key: str) -> Success[object]:
        return Success(object())

    with pytest.raises(CacheSerializationError, match="as JSON"):
        await load("k")


async def test_signed_pickle_stores_other_values(redis_url: str, prefix: str) -> None:
    """With SignedPickleSerializer a set comes back from Redis as a set."""
    backend = RedisBackend(redis_url, prefix=prefix, serializer=SignedPickleSerializer(key="s"))
    calls = []

    @cached(ttl=60, backend=backend)
    async def load(key: str) -> Success[set[int]]:
        calls.append(key)
        return Success({1, 2})

    assert await load("k") == await load("k") == Success({1, 2})
    assert len(calls) == 1
    await backend.clear()
    await backend.aclose()


async def test_garbage_in_redis_is_a_counted_miss(redis_backend: RedisBackend) -> None:
    """Bytes another party wrote under our key are not decoded into a value: a miss."""

    @cached(ttl=60, backend=redis_backend, key="k")
    async def load() -> str:
        return "fresh"

    await redis_backend.client().set(f"{redis_backend.prefix}v:k", b"\x80\x04garbage")
    assert await load() == "fresh"
    assert redis_backend.stats()["decode_errors"] >= 1


async def test_redis_down_still_answers_and_counts() -> None:
    """With no server the loader answers every call, the error is counted, nothing cached."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = RedisBackend(f"redis://127.0.0.1:{port}/0", socket_timeout=0.5)
    calls = []

    @cached(ttl=60, backend=backend)
    async def load(key: str) -> Success[str]:
        calls.append(key)
        return Success(key)

    assert await load("k") == await load("k") == Success("k")
    assert len(calls) == 2
    assert load.stats()["backend_errors"] >= 2 and backend.stats()["errors"] >= 2
    assert (await cache_invalidate_by_prefix("x", backends=[backend])).is_failure()


async def test_emptied_redis_and_a_dropped_connection_repopulate(
    redis_backend: RedisBackend,
) -> None:
    """After the entries vanish (as on a restart) and the connection is killed, calls refill."""
    calls = []

    @cached(ttl=60, backend=redis_backend)
    async def load(key: str) -> Success[str]:
        calls.append(key)
        return Success(key)

    await load("k")
    await redis_backend.clear()  # our prefix only: the server is shared
    client = redis_backend.client()
    await client.client_kill_filter(_id=await client.client_id())
    assert await load("k") == Success("k")
    assert await load("k") == Success("k")
    assert len(calls) == 2


async def test_failures_are_not_stored_in_redis(redis_backend: RedisBackend) -> None:
    """A Failure leaves no entry; with cache_failures it is stored and read back as a Failure."""

    @cached(ttl=60, backend=redis_backend, key="a")
    async def plain() -> Failure[str]:
        return Failure("no")

    @cached(ttl=60, backend=redis_backend, key="b", cache_failures=30)
    async def negative() -> Failure[str]:
        return Failure("no")

    await plain(), await negative()
    assert await redis_backend.get("a") is None
    stored = await redis_backend.get("b")
    assert stored is not None and stored.value == Failure("no")


def _spawn(url: str, prefix: str, mode: str = "normal") -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), url, prefix, mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def _go(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()


@pytest.mark.slow
async def test_four_processes_run_the_loader_once(
    redis_backend: RedisBackend, redis_url: str, prefix: str
) -> None:
    """Four processes missing one key at once make one loader call; all get its value."""
    procs = [_spawn(redis_url, prefix) for _ in range(4)]
    for proc in procs:
        _go(proc)
    outs = [proc.communicate(timeout=30)[0] for proc in procs]
    assert all("outcome value-of-k" in out for out in outs)
    assert int(await redis_backend.client().get(f"{prefix}calls")) == 1


@pytest.mark.slow
async def test_a_killed_lock_holder_does_not_block_the_others(
    redis_backend: RedisBackend, redis_url: str, prefix: str
) -> None:
    """A process SIGKILLed while loading under the lock is replaced after the lock timeout."""
    holder = _spawn(redis_url, prefix, "hang")
    _go(holder)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "loading"
    waiter = _spawn(redis_url, prefix)
    _go(waiter)
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    out = await asyncio.to_thread(lambda: waiter.communicate(timeout=30)[0])
    assert "outcome value-of-k" in out
    assert int(await redis_backend.client().get(f"{prefix}calls")) == 2


async def test_two_level_with_redis_down_still_caches_in_l1() -> None:
    """With the L2 unreachable, two-level answers from the loader, then from its own L1, also
    after the invalidation listener has failed to resubscribe again and again."""
    from rfs.cache import TwoLevelBackend

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = TwoLevelBackend(RedisBackend(f"redis://127.0.0.1:{port}/0", socket_timeout=0.5))
    calls = []

    @cached(ttl=60, backend=backend)
    async def load(key: str) -> Success[str]:
        calls.append(key)
        return Success(key)

    try:
        assert await load("k") == Success("k")
        failed = backend.stats()["channel_errors"]
        # two more failed attempts of the listener to subscribe (0.05 s, then 0.1 s later)
        await until(lambda: backend.stats()["channel_errors"] >= failed + 2)
        assert await load("k") == Success("k")
        assert calls == ["k"] and load.stats()["backend_errors"] >= 1
    finally:
        await backend.aclose()
