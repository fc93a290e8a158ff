"""TwoLevelBackend: L1 per client, Redis L2, invalidation messages between clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.exceptions

from _waiting import until
from rfs.cache import RedisBackend, TwoLevelBackend, cached, invalidate_tags
from rfs.result import Success

pytestmark = pytest.mark.service("redis")


class Node:
    """One client (a stand-in for one process): its own L1, Redis connection and counter."""

    def __init__(self, url: str, prefix: str) -> None:
        self.received = asyncio.Event()
        self.backend = TwoLevelBackend(
            RedisBackend(url, prefix=prefix), on_invalidate=lambda _: self.received.set()
        )
        self.calls: list[str] = []

        @cached(ttl=60, backend=self.backend, key="item:{item_id}", tags=["items"])
        async def item(item_id: str) -> Success[str]:
            self.calls.append(item_id)
            return Success(f"v{len(self.calls)}")

        self.item: Any = item

    async def wait_message(self) -> None:
        await asyncio.wait_for(self.received.wait(), 5)
        self.received.clear()


@pytest.fixture
async def nodes(redis_url: str, prefix: str) -> AsyncIterator[tuple[Node, Node]]:
    a, b = Node(redis_url, prefix), Node(redis_url, prefix)
    await a.backend.start()
    await b.backend.start()
    yield a, b
    await a.backend.clear()
    await a.backend.aclose()
    await b.backend.aclose()


async def test_l2_is_shared_and_l1_serves_hits(nodes: tuple[Node, Node]) -> None:
    """B reads what A loaded from Redis once, then from its own L1."""
    a, b = nodes
    assert await a.item("1") == Success("v1")
    assert await b.item("1") == Success("v1")
    assert await b.item("1") == Success("v1")
    assert b.calls == [] and b.backend.stats()["l1_hits"] >= 1


async def test_invalidation_reaches_the_other_l1(nodes: tuple[Node, Node]) -> None:
    """A's invalidation by key, tag and prefix drops the entry from B's L1 too."""
    a, b = nodes
    await a.item("1")
    await b.item("1")  # now in B's L1
    assert await a.item.invalidate("1") == Success(1)
    await b.wait_message()
    assert await b.item("1") == Success("v1")  # B reloads: its L1 and the L2 were emptied
    assert b.calls == ["1"]

    await a.item("2")
    await b.item("2")
    await b.wait_message()  # the message of A storing item 2 (B only read it from L2)
    assert await invalidate_tags("items", backends=[a.backend]) == Success(2)
    await b.wait_message()
    assert b.backend.l1.peek("item:2") is None

    await b.item("3")
    await a.wait_message()
    await a.backend.delete_prefix("item:")
    await b.wait_message()
    assert len(b.backend.l1) == 0


async def test_a_newer_value_replaces_the_other_l1_entry(nodes: tuple[Node, Node]) -> None:
    """When A stores a fresh value for a key, B drops its L1 copy and reads the new one."""
    a, b = nodes
    await b.item("1")  # B loads v1 into L2 and its L1
    await a.wait_message()
    await a.item.refresh("1")  # A reloads: its v1 (A's first call) replaces B's
    await b.wait_message()
    assert b.backend.l1.peek("item:1") is None
    assert await b.item("1") == Success("v1")
    assert b.calls == ["1"] and a.calls == ["1"]


async def test_garbage_on_the_channel_is_ignored(nodes: tuple[Node, Node]) -> None:
    """Messages that are not ours (any client may publish) change nothing and stop nothing."""
    a, b = nodes
    await b.item("1")
    await a.wait_message()
    client = a.backend.l2.client()
    for junk in (b"\xff\x00", b"[]", b'{"op": "keys", "args": "item:1"}', b'{"op": "nuke"}'):
        await client.publish(b.backend.channel, junk)
    await a.backend.delete(["item:1"])  # a real message after the junk still arrives
    await b.wait_message()
    assert b.backend.l1.peek("item:1") is None
    assert b.backend.stats()["received"] == 1


class CutOff(RedisBackend):
    """A RedisBackend this process can cut off from the server (the other processes still
    reach it): while ``down``, every command and subscription fails to connect."""

    down = False

    def client(self) -> Any:
        if self.down:
            raise redis.exceptions.ConnectionError("cut off from the server")
        return super().client()


async def test_what_l1_cached_while_the_channel_was_down_is_dropped_when_it_is_back(
    redis_url: str, prefix: str
) -> None:
    """During an outage L1 keeps serving what it cached; once the invalidation channel is back
    those entries go (they may have missed a message), and L1 fills again from then on."""
    l2 = CutOff(redis_url, prefix=prefix)
    l2.down = True
    backend = TwoLevelBackend(l2)
    calls: list[str] = []

    @cached(ttl=60, backend=backend, key="item:{item_id}")
    async def item(item_id: str) -> Success[str]:
        calls.append(item_id)
        return Success(f"v{len(calls)}")

    try:
        assert await item("1") == Success("v1")  # from the loader, kept in L1 only
        failed = backend.stats()["channel_errors"]
        await until(lambda: backend.stats()["channel_errors"] >= failed + 2)
        assert await item("1") == Success("v1") and calls == ["1"]
        l2.down = False
        await until(lambda: len(backend.l1) == 0)  # resubscribed: L1 cleared
        assert await item("1") == Success("v2")
        assert await item("1") == Success("v2") and calls == ["1", "1"]
    finally:
        l2.down = False
        await backend.clear()
        await backend.aclose()
