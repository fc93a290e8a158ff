"""Tests for ``BatchingConsumer``: size and timeout flushes, shutdown flush, ack after success."""

from __future__ import annotations

import asyncio

from rfs.events import BatchingConsumer, Event, InMemoryBroker


async def test_flushes_when_full_and_on_close() -> None:
    """Full batches go out at ``batch_size``; the remainder goes out on close, not dropped."""
    batches: list[list[int]] = []
    batcher = BatchingConsumer(lambda b: batches.append([e.data for e in b]), batch_size=3)
    async with batcher:
        for i in range(7):
            await batcher.process_with_backpressure(Event("t", i))
        assert batches == [[0, 1, 2], [3, 4, 5]]
    assert batches[-1] == [6]


async def test_flushes_after_timeout() -> None:
    """A partial batch is handed over once ``timeout`` passes after its first event."""
    flushed = asyncio.Event()
    batches: list[int] = []

    def handle(batch: list[Event]) -> None:
        batches.append(len(batch))
        flushed.set()

    batcher = BatchingConsumer(handle, batch_size=100, timeout=0.05)
    await batcher.add(Event("t", 1))
    await asyncio.wait_for(flushed.wait(), 2)
    assert batches == [1]
    await batcher.close()


async def test_explicit_flush() -> None:
    """``flush()`` hands over the pending batch immediately."""
    seen: list[int] = []
    batcher = BatchingConsumer(lambda b: seen.append(len(b)), batch_size=10, timeout=60)
    await batcher.add(Event("t"))
    await batcher.add(Event("t"))
    await batcher.flush()
    assert seen == [2]
    await batcher.close()


async def test_run_drains_subscription_and_flushes_at_end() -> None:
    """Draining a subscription delivers every event exactly once, in batches, tail included."""
    broker = InMemoryBroker()
    sub = broker.consume("t.*")
    seen: list[list[int]] = []
    batcher = BatchingConsumer(lambda b: seen.append([e.data for e in b]), batch_size=4)
    task = asyncio.create_task(batcher.run(sub))
    for i in range(10):
        await broker.publish("t.x", i)
    await broker.close()
    assert await asyncio.wait_for(task, 2) == 3
    assert [x for b in seen for x in b] == list(range(10))
    assert [len(b) for b in seen] == [4, 4, 2]


async def test_failed_batch_is_redelivered() -> None:
    """A batch whose handler raises is retried: each of its events is delivered again."""
    broker = InMemoryBroker()
    sub = broker.consume("t")
    attempts: list[list[int]] = []
    retried = asyncio.Event()

    def handle(batch: list[Event]) -> None:
        attempts.append([e.data for e in batch])
        if len(attempts) == 2:
            retried.set()
        if len(attempts) == 1:
            raise RuntimeError("first batch fails")

    batcher = BatchingConsumer(handle, batch_size=2, timeout=0.05)
    task = asyncio.create_task(batcher.run(sub))
    await broker.publish("t", 1)
    await broker.publish("t", 2)
    await asyncio.wait_for(retried.wait(), 2)
    await broker.close()
    await asyncio.wait_for(task, 2)
    assert sorted(attempts[1]) == [1, 2] and batcher.failed_batches == 1


async def test_pushes_any_item_type_its_handler_takes() -> None:
    """Push style is not limited to Events: plain dicts reach the handler in batches."""
    totals: list[int] = []

    def handle(batch: list[dict[str, int]]) -> None:
        totals.append(sum(row["n"] for row in batch))

    async with BatchingConsumer(handle, batch_size=2) as batcher:
        for n in (1, 2, 3):
            await batcher.process_with_backpressure({"n": n})
    assert totals == [3, 3]
