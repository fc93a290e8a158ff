"""Typing check for ``rfs.events`` (pyright strict and mypy): the public API is fully typed."""

from __future__ import annotations

from typing import assert_type

from rfs.events import (
    Backpressure,
    BatchingConsumer,
    Broker,
    Event,
    InMemoryBroker,
    InMemoryPublisher,
    Publisher,
    PublishError,
    compile_pattern,
)
from rfs.result import Result


async def usage() -> None:
    broker = InMemoryBroker(buffer_size=10, backpressure=Backpressure.FAIL)
    as_port: Broker = broker
    publisher: Publisher = InMemoryPublisher(broker)
    result: Result[None, PublishError] = await publisher.publish("a.b", Event("a.b", 1))
    ok: bool = result.is_success()
    sub = as_port.consume("a.*", group="g")
    async for event in sub:
        topic: str = event.topic
        headers: dict[str, str] = event.headers
        del topic, headers
        break
    matched: bool = compile_pattern("a.**").matches("a.b.c")
    batcher = BatchingConsumer(lambda batch: len(batch), batch_size=2)
    await batcher.flush()
    decoded: Result[Event, object] = Event.from_json("{}")
    del ok, matched, decoded
    await broker.close()


def rows_total(batch: list[dict[str, int]]) -> int:
    return sum(row["n"] for row in batch)


async def batching_what_it_accepts(event: Event) -> None:
    """BatchingConsumer batches Events by default; any item type its handler takes otherwise."""
    events = BatchingConsumer(lambda batch: len(batch), batch_size=2)
    assert_type(events, BatchingConsumer[Event])
    await events.process_with_backpressure(event)
    rows = BatchingConsumer(rows_total, batch_size=2)
    assert_type(rows, BatchingConsumer[dict[str, int]])
    await rows.process_with_backpressure({"n": 1})
    await rows.add(event)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
