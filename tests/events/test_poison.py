"""Poison entries on all five backends: written on the wire with the plain client library (or,
across processes, by a child process), each one is dead-lettered with its reason while the
consumer group goes on delivering the good events around it."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from typing import Any

import pytest

from rfs.events import (
    HEADER_ERROR,
    HEADER_ERROR_TYPE,
    HEADER_ORIGINAL_TOPIC,
    MAX_EVENT_SIZE,
    MAX_TOPIC_LENGTH,
    Event,
)
from rfs.events.backends.multiprocess import MultiprocessPublisher
from rfs.events.subscription import RAW_LIMIT, make_dead_letter

from .conftest import BACKENDS

# (raw body, a phrase of the reason it is refused with)
BODIES: list[tuple[bytes, str]] = [
    (b"[" * 3000, "nested deeper"),  # the review's RecursionError
    (b"\xff\xfe{not json", "invalid JSON"),
    (b'{"topic": "a..b", "data": 1}', "invalid topic 'a..b'"),
    (b'{"topic": "jobs.run", "timestamp": 1e400}', "outside years"),
    (b'{"topic": "jobs.run", "headers": [1, 2]}', "'headers' must be an object"),
    (b'{"data": 1}', "'topic' must be a string"),
]
# decodes, but its attrs are named like methods: the dead-letter path must still work
SHADOW = b'{"topic": "jobs.run", "data": "shadow", "attrs": {"with_topic": 1, "to_dict": 1}}'


def _explode() -> None:
    raise RecursionError("unpickling this item fails")


class Unpicklable:
    """Pickles fine in the child; unpickling it in the parent raises."""

    def __reduce__(self) -> tuple[Callable[[], None], tuple[()]]:
        return (_explode, ())


def child_puts_poison(publisher: MultiprocessPublisher) -> None:
    """In a child process: poison items straight onto the broker's queue."""
    publisher.queue.put(("jobs.run", Unpicklable()))  # type: ignore[arg-type]
    publisher.queue.put("not a pair")  # type: ignore[arg-type]
    publisher.queue.put(("a..b", 1))


async def inject(kind: str, broker: Any) -> tuple[list[str], list[str]]:
    """Write this backend's poison on its wire; return the reasons expected in dead letters
    and the data of extra good events expected to be handled."""
    if kind == "memory":
        await broker.publish("jobs.run", Event.from_json(SHADOW).unwrap())
        return [], []
    if kind == "multiprocess":
        process = multiprocessing.get_context("fork").Process(
            target=child_puts_poison, args=(broker.publisher(),)
        )
        process.start()
        await asyncio.to_thread(process.join, 20)
        await broker.publish("jobs.run", Event.from_json(SHADOW).unwrap())
        return ["cannot unpickle a queue item: RecursionError", "(topic, event) pair", "a..b"], []
    bodies = [body for body, _ in BODIES] + [SHADOW]
    reasons = [why for _, why in BODIES]
    if kind == "redis":
        for body in bodies:
            await broker.client.xadd(broker.stream, {"topic": "jobs.run", "event": body})
        await broker.client.xadd(broker.stream, {"topic": "jobs.run", "other": b"x"})
        await broker.client.xadd(broker.stream, {"topic": "jobs..run", "event": b"[["})
        huge = b'{"topic": "jobs.run", "data": "' + b"x" * MAX_EVENT_SIZE + b'"}'
        await broker.client.xadd(broker.stream, {"topic": "jobs.run", "event": huge})
        return [*reasons, "entry has no event body", "invalid JSON", "is over 16,777,216"], []
    if kind == "nats":
        for body in bodies:
            await broker.js.publish(f"{broker.prefix}.jobs.run", body)
        await broker.js.publish(f"{broker.prefix}.jobs.r\u00fcn", b"\x00")  # not a topic of ours
        return reasons, []
    import aio_pika

    for body in bodies:
        await broker.exchange.publish(aio_pika.Message(body), routing_key="jobs.run")
    odd = aio_pika.Message(
        Event("jobs.run", "odd headers").to_json().encode(),
        headers={"x-rfs-deliveries": "many", "x-delivery-count": "?"},
    )
    await broker.exchange.publish(odd, routing_key="jobs.run")
    return reasons, ["odd headers"]


@pytest.mark.parametrize("kind", BACKENDS)
async def test_poison_is_dead_lettered_and_the_group_goes_on(
    kind: str, broker_of: Callable[..., Any]
) -> None:
    """Poison entries (deep nesting, invalid UTF-8, a bad topic, an overflowing timestamp,
    wrong types, attrs named like methods) each reach the dead-letter topic with the reason;
    the group handles the good events before and after them."""
    broker = await broker_of(kind)
    dead = broker.consume("dead_letter.**")
    sub = broker.consume("jobs.*", group="g", max_deliveries=1)
    handled: list[Any] = []
    after = asyncio.Event()

    def handle(event: Event) -> None:
        if event.data == "shadow":
            raise ValueError("cannot handle the shadow event")
        handled.append(event.data)
        if event.data == "after":
            after.set()

    run = asyncio.create_task(sub.run(handle))
    await broker.publish("jobs.run", Event(data="before"))  # binds RabbitMQ queues first
    reasons, extra = await inject(kind, broker)
    await broker.publish("jobs.run", Event(data="after"))
    await asyncio.wait_for(after.wait(), 30)

    letters: list[Event] = []
    wanted = [*reasons, "cannot handle the shadow event"]

    async def collect() -> None:
        async for letter in dead:
            letters.append(letter)
            seen = " | ".join(x.headers[HEADER_ERROR] for x in letters)
            if all(why in seen for why in wanted):
                return

    await asyncio.wait_for(collect(), 30)
    assert handled == ["before", *extra, "after"]
    shadow = next(x for x in letters if x.data == "shadow")
    assert shadow.topic == "dead_letter.jobs.run"
    assert shadow.extra_attrs == {"with_topic": 1, "to_dict": 1}
    for letter in letters:
        if letter.headers[HEADER_ERROR_TYPE] == "DecodeError":
            assert letter.topic in ("dead_letter.jobs.run", "dead_letter.unknown")
            assert isinstance(letter.data["raw"], str) and letter.data["size"] >= 0
            if kind in ("nats", "rabbitmq"):  # the raw entry is kept in the letter
                assert letter.data["raw"] and letter.data["size"] > 0
    await sub.close()
    await run
    await dead.close()


def test_dead_letter_of_huge_or_misnamed_entries_is_bounded() -> None:
    """The dead letter of a huge entry keeps its first 64 KiB and its size; a topic that cannot
    route (invalid, or at the length cap) goes to ``dead_letter.unknown`` with a clipped header."""
    raw = b"\xff" + b"y" * (2 * 1024 * 1024)
    for topic in ("a..b", "x" * MAX_TOPIC_LENGTH, "q" * 10_000, ""):
        letter = make_dead_letter(
            None, RuntimeError("e" * 10_000), deliveries=1, topic=topic, group="g", raw=raw
        )
        assert letter.topic == "dead_letter.unknown"
        assert len(letter.data["raw"]) == RAW_LIMIT and letter.data["size"] == len(raw)
        assert len(letter.headers[HEADER_ORIGINAL_TOPIC]) <= MAX_TOPIC_LENGTH + 3
        assert len(letter.headers[HEADER_ERROR]) < 2100
        assert Event.from_json(letter.to_json()).is_success()
