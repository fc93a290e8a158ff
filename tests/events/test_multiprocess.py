"""Tests for the multiprocess backend under spawn and fork, sync and async."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import queue
from typing import Any

import pytest

from rfs.events import DecodeError, Event, MultiprocessBroker, MultiprocessQueue
from rfs.events.backends.multiprocess import MultiprocessPublisher


def child_puts(q: MultiprocessQueue[int], start: int) -> None:
    for i in range(start, start + 5):
        q.put(i)


def child_publishes(publisher: MultiprocessPublisher, name: str) -> None:
    for i in range(3):
        publisher.publish_sync(f"procs.{name}", Event(data=i))
    asyncio.run(publisher.publish(f"procs.{name}", Event(data="async")))


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_queue_across_processes(method: str) -> None:
    """Items put by child processes arrive in the parent, under spawn and under fork."""
    q: MultiprocessQueue[int] = MultiprocessQueue(context=method)
    ctx = multiprocessing.get_context(method)
    procs = [ctx.Process(target=child_puts, args=(q, s)) for s in (0, 100)]
    for p in procs:
        p.start()
    got = sorted(q.get(timeout=20) for _ in range(10))
    for p in procs:
        p.join(20)
    assert got == [0, 1, 2, 3, 4, 100, 101, 102, 103, 104]
    q.close()


async def test_async_side_and_bounded_put() -> None:
    """``put_async`` waits while full; ``get_async`` returns items in order without blocking."""
    q: MultiprocessQueue[int] = MultiprocessQueue(maxsize=2)
    await q.put_async(1)
    await q.put_async(2)
    third = asyncio.ensure_future(q.put_async(3))
    await asyncio.sleep(0.1)
    assert not third.done()
    assert await q.get_async() == 1
    await asyncio.wait_for(third, 5)
    assert [await q.get_async(), await q.get_async()] == [2, 3]
    with pytest.raises(queue.Empty):
        q.get_nowait()
    q.close()


async def test_cancelled_get_loses_nothing() -> None:
    """A ``get_async`` cancelled while waiting never swallows an item put afterwards."""
    q: MultiprocessQueue[str] = MultiprocessQueue()
    waiting = asyncio.ensure_future(q.get_async())
    await asyncio.sleep(0.01)
    waiting.cancel()
    q.put("kept")
    await asyncio.sleep(0.1)
    assert await asyncio.wait_for(q.get_async(), 5) == "kept"
    q.close()


@pytest.mark.parametrize("method", ["spawn", "fork"])
async def test_children_publish_to_parent_subscriptions(method: str) -> None:
    """Child processes publish through a picklable publisher; parent subscriptions receive."""
    async with MultiprocessBroker(context=method) as broker:
        sub = broker.consume("procs.*")
        ctx = multiprocessing.get_context(method)
        procs = [
            ctx.Process(target=child_publishes, args=(broker.publisher(), n)) for n in ("a", "b")
        ]
        for p in procs:
            p.start()
        got: list[tuple[str, object]] = []
        async for event in sub:
            got.append((event.topic, event.data))
            if len(got) == 8:
                break
        for p in procs:
            await asyncio.to_thread(p.join, 20)
    for name in ("a", "b"):
        assert [d for t, d in got if t == f"procs.{name}"] == [0, 1, 2, "async"]


def _explode() -> None:
    raise ValueError("cannot rebuild")


class BreaksOnLoad:
    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_explode, ())


async def test_undecodable_item_raises_decode_error_and_queue_goes_on() -> None:
    """An item that cannot be unpickled makes ``get``/``get_async`` raise ``DecodeError``
    (with its bytes) once; the items after it arrive; an unpicklable item fails at ``put``."""
    q: MultiprocessQueue[object] = MultiprocessQueue()
    q.put(BreaksOnLoad())
    q.put("next")
    q.put(BreaksOnLoad())
    q.put("last")
    with pytest.raises(DecodeError) as info:
        q.get(timeout=5)
    assert "ValueError" in str(info.value) and info.value.raw
    assert q.get(timeout=5) == "next"
    with pytest.raises(DecodeError):
        await q.get_async()
    assert await q.get_async() == "last"
    with pytest.raises((TypeError, AttributeError, pickle.PicklingError)):
        q.put(lambda: None)
    q.close()


async def test_publishing_an_unpicklable_event_is_a_failure() -> None:
    """An event the queue cannot pickle is a ``Failure(PublishError)``; the broker goes on."""
    from rfs.events import PublishError

    async with MultiprocessBroker() as broker:
        sub = broker.consume("t.*")
        result = await broker.publish("t.x", Event(data=lambda: None))
        assert result.is_failure() and isinstance(result.error, PublishError)
        assert "pickled" in str(result.error)
        assert (await broker.publish("t.x", Event(data="fine"))).is_success()
        assert (await asyncio.wait_for(sub.__anext__(), 10)).data == "fine"
