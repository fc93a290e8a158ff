"""Tests for the in-memory broker: seed usage, wildcards, groups, closing, backpressure."""

from __future__ import annotations

import asyncio

from rfs.events import (
    HEADER_DELIVERIES,
    HEADER_ERROR,
    Backpressure,
    BrokerClosedError,
    BufferFullError,
    Event,
    EventBase,
    InMemoryBroker,
    InMemoryConsumer,
    InMemoryPublisher,
    Publisher,
)
from rfs.result import Failure, Success


class DataEvent(EventBase):
    def __init__(self, topic: str, data: dict[str, int], **kwargs: object) -> None:
        super().__init__(topic=topic, data=data, **kwargs)  # type: ignore[arg-type]
        self.data = data


async def test_seed_usage() -> None:
    """The seed's publisher/consumer trio delivers a subclassed event to a consumer."""
    broker = InMemoryBroker()
    publisher = InMemoryPublisher(broker)
    consumer = InMemoryConsumer(broker)
    assert isinstance(publisher, Publisher)
    sub = consumer.consume("data.ingestion")
    result = await publisher.publish(
        "data.ingestion", DataEvent(topic="data.ingestion", data={"rows": 100})
    )
    assert result == Success(None)
    async for event in sub:
        assert isinstance(event, DataEvent) and event.data == {"rows": 100}
        break
    await sub.close()


async def test_wildcards_and_fan_out() -> None:
    """Each matching subscription gets its own copy; non-matching ones get nothing."""
    broker = InMemoryBroker()
    star, deep, other = broker.consume("a.*"), broker.consume("a.**"), broker.consume("b.*")
    for topic in ("a.x", "a.x.y", "b.z"):
        await broker.publish(topic, Event(topic))
    await broker.close()
    assert [e.topic async for e in star] == ["a.x"]
    assert [e.topic async for e in deep] == ["a.x", "a.x.y"]
    assert [e.topic async for e in other] == ["b.z"]


async def test_plain_data_is_wrapped_and_topic_filled() -> None:
    """Publishing a non-Event wraps it; an Event with an empty topic gets the publish topic."""
    broker = InMemoryBroker()
    sub = broker.consume("t")
    await broker.publish("t", {"k": 1})
    await broker.publish("t", Event(data=2))
    await broker.close()
    got = [e async for e in sub]
    assert [(e.topic, e.data) for e in got] == [("t", {"k": 1}), ("t", 2)]


async def test_group_shares_work() -> None:
    """Two members of one group split the events between them; each event goes to one."""
    broker = InMemoryBroker()
    a, b = broker.consume("jobs.*", group="g"), broker.consume("jobs.*", group="g")
    seen: list[tuple[str, object]] = []

    async def take(name: str, sub: object) -> None:
        async for event in sub:  # type: ignore[attr-defined]
            seen.append((name, event.data))
            await asyncio.sleep(0)

    tasks = [asyncio.create_task(take("a", a)), asyncio.create_task(take("b", b))]
    for i in range(20):
        await broker.publish("jobs.x", i)
    await broker.close()
    await asyncio.gather(*tasks)
    assert sorted(d for _, d in seen) == list(range(20))  # type: ignore[type-var]
    assert {n for n, _ in seen} == {"a", "b"}


async def test_close_ends_waiting_iterator() -> None:
    """``close()`` on a subscription ends an iterator that is waiting for events."""
    broker = InMemoryBroker()
    sub = broker.consume("x")

    async def drain() -> list[Event]:
        return [e async for e in sub]

    task = asyncio.create_task(drain())
    await asyncio.sleep(0)
    await sub.close()
    assert await asyncio.wait_for(task, 1) == []
    assert broker.subscription_count == 0


async def test_publish_after_close_fails() -> None:
    """A closed broker refuses events with ``BrokerClosedError``."""
    broker = InMemoryBroker()
    await broker.close()
    result = await broker.publish("x", 1)
    assert isinstance(result, Failure) and isinstance(result.error, BrokerClosedError)


async def test_block_policy_slows_the_producer() -> None:
    """With ``block`` a producer waits while the buffer is full and resumes as it drains."""
    broker = InMemoryBroker(buffer_size=2)
    sub = broker.consume("x")
    await broker.publish("x", 1)
    await broker.publish("x", 2)
    third = asyncio.create_task(broker.publish("x", 3))
    await asyncio.sleep(0.01)
    assert not third.done()
    assert (await sub.__anext__()).data == 1
    assert await asyncio.wait_for(third, 1) == Success(None)
    assert len(sub) == 2


async def test_drop_oldest_and_fail_policies() -> None:
    """``drop_oldest`` keeps the newest events; ``fail`` refuses with ``BufferFullError``."""
    broker = InMemoryBroker(buffer_size=2)
    drop = broker.consume("x", backpressure=Backpressure.DROP_OLDEST)
    failing = broker.consume("y", backpressure="fail")
    for i in range(5):
        await broker.publish("x", i)
    assert drop.dropped == 3
    assert (await broker.publish("y", 1)).is_success()
    assert (await broker.publish("y", 2)).is_success()
    result = await broker.publish("y", 3)
    assert isinstance(result, Failure) and isinstance(result.error, BufferFullError)
    await broker.close()
    assert [e.data async for e in drop] == [3, 4]
    assert [e.data async for e in failing] == [1, 2]


async def test_handler_failure_is_retried_then_dead_lettered() -> None:
    """A handler that raises sees the event ``max_deliveries`` times, then it is dead-lettered."""
    broker = InMemoryBroker(max_deliveries=3)
    dead = broker.consume("dead_letter.**")
    sub = broker.consume("orders.*")
    calls: list[int] = []

    async def handler(event: Event) -> None:
        calls.append(event.data)
        if event.data == 1:
            raise ValueError("boom")

    run = asyncio.create_task(sub.run(handler))
    await broker.publish("orders.new", 1)
    await broker.publish("orders.new", 2)
    letter = await asyncio.wait_for(dead.__anext__(), 1)
    await sub.close()
    assert await run == 1
    assert calls == [1, 1, 1, 2] or calls.count(1) == 3
    assert letter.topic == "dead_letter.orders.new" and letter.data == 1
    assert letter.headers[HEADER_ERROR] == "boom" and letter.headers[HEADER_DELIVERIES] == "3"


async def test_failure_result_counts_as_failure() -> None:
    """A handler returning ``Failure`` is treated like one that raised."""
    broker = InMemoryBroker(max_deliveries=1)
    dead = broker.consume("dead_letter.t")
    sub = broker.consume("t")
    run = asyncio.create_task(sub.run(lambda e: Failure("nope")))
    await broker.publish("t", 1)
    letter = await asyncio.wait_for(dead.__anext__(), 1)
    assert letter.headers[HEADER_ERROR] == "nope"
    await sub.close()
    await run


async def test_exception_inside_async_with_redelivers() -> None:
    """An exception leaving ``async with sub`` hands the current event back for redelivery."""
    broker = InMemoryBroker()
    group_a = broker.consume("t", group="g")
    group_b = broker.consume("t", group="g")
    await broker.publish("t", "first")
    try:
        async with group_a:
            async for _ in group_a:
                raise RuntimeError("crash")
    except RuntimeError:
        pass
    again = await asyncio.wait_for(group_b.__anext__(), 1)
    assert again.data == "first"
    await broker.close()
