"""Faults caused for real: a consumer SIGKILLed mid-batch, garbage on the wire, dropped links."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rfs.events import HEADER_ERROR, HEADER_ERROR_TYPE, Event

WORKER = Path(__file__).with_name("_worker.py")


def logged(log: Path) -> list[str] | None:
    """The worker's logged events, or ``None`` before it is ready."""
    if not log.exists() or "ready" not in (text := log.read_text()):
        return None
    return [x for x in text.splitlines() if x and x != "ready"]


def start_worker(*args: str) -> subprocess.Popen[bytes]:
    """Run ``_worker.py`` with ``args`` in a new Python process."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


async def wait_for_lines(log: Path, count: int, within: float = 20.0) -> list[str]:
    """Poll ``log`` until the worker is ready and has logged ``count`` events."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        lines = logged(log)
        if lines is not None and len(lines) >= count:
            return lines
        await asyncio.sleep(0.05)
    raise AssertionError(f"worker logged fewer than {count} events")


async def kill_mid_batch(kind: str, url: str, broker: Any, tmp_path: Path) -> None:
    """Start a worker process, SIGKILL it mid-batch, and check a survivor processes the rest."""
    log = tmp_path / "victim.log"
    name = broker.exchange_name if kind == "rabbitmq" else broker.stream
    group = f"g{uuid.uuid4().hex[:8]}"
    survivor = broker.consume("jobs.*", group=group)  # creates the group before publishing
    total = 30
    proc = start_worker(kind, url, name, group, str(log))
    try:
        await wait_for_lines(log, 0)
        await asyncio.sleep(0.5)  # let the worker's consumer attach
        for i in range(total):
            assert (await broker.publish("jobs.run", Event(data=i))).is_success()
        victim_done = await wait_for_lines(log, 3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    victim_done = logged(log) or []
    assert 3 <= len(victim_done) < total, "the worker was not killed mid-way"

    processed: set[int] = set()
    done = asyncio.Event()
    everything = set(range(total))

    def handle(event: Event) -> None:
        processed.add(event.data)
        if processed | {int(x) for x in victim_done} >= everything and len(processed) > 0:
            done.set()

    run = asyncio.create_task(survivor.run(handle))
    await asyncio.wait_for(done.wait(), 30)
    await survivor.close()
    await run
    victim = {int(x) for x in victim_done}
    assert processed | victim == everything
    # what the victim had fetched but not finished was taken over by the survivor
    assert everything - victim <= processed


SERVERS = [
    pytest.param("redis", marks=pytest.mark.service("redis")),
    pytest.param("nats", marks=pytest.mark.service("nats")),
    pytest.param("rabbitmq", marks=pytest.mark.service("rabbitmq")),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind", SERVERS)
async def test_consumer_killed_mid_batch(
    kind: str, broker_of: Callable[..., Any], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """SIGKILL a consumer process mid-batch: what it had not finished reaches a survivor of its
    group (Redis: XAUTOCLAIM; NATS: redelivery after ``ack_wait``; RabbitMQ: requeued)."""
    broker = await broker_of(kind, **({"claim_idle": 0.5} if kind == "redis" else {}))
    url = request.getfixturevalue(f"{kind}_url")
    await kill_mid_batch(kind, url, broker, tmp_path)


async def inject_garbage(kind: str, broker: Any) -> None:
    """Put undecodable bytes on the backend's wire under topic ``jobs.run``."""
    if kind == "redis":
        await broker.client.xadd(broker.stream, {"topic": "jobs.run", "event": b"\xff\xfe{garbage"})
    elif kind == "nats":
        await broker.js.publish(f"{broker.prefix}.jobs.run", b"\xff\xfe{garbage")
    else:
        import aio_pika

        await broker.exchange.publish(aio_pika.Message(b"\xff\xfe{garbage"), routing_key="jobs.run")


@pytest.mark.parametrize("kind", SERVERS)
async def test_garbage_is_dead_lettered_and_consumer_goes_on(
    kind: str, broker_of: Callable[..., Any]
) -> None:
    """Undecodable bytes go to the dead-letter topic with the decode error; later events arrive."""
    broker = await broker_of(kind)
    dead = broker.consume("dead_letter.**")
    sub = broker.consume("jobs.*", group="g")
    await broker.publish("jobs.run", Event(data="before"))
    if kind == "rabbitmq":
        await asyncio.sleep(0.2)  # let the subscriptions bind
    await inject_garbage(kind, broker)
    await broker.publish("jobs.run", Event(data="after"))
    got: list[Any] = []
    async for event in sub:
        got.append(event.data)
        if len(got) == 2:
            break
    assert got == ["before", "after"]
    letter = await asyncio.wait_for(dead.__anext__(), 10)
    assert letter.topic == "dead_letter.jobs.run"
    assert letter.headers[HEADER_ERROR_TYPE] == "DecodeError"
    assert "invalid JSON" in letter.headers[HEADER_ERROR]
    assert "garbage" in letter.data["raw"]
    await sub.close()
    await dead.close()


@pytest.mark.service("redis")
async def test_redis_consumer_reconnects_after_client_kill(redis_url: str) -> None:
    """CLIENT KILL on the consumer's connections: it reconnects and keeps receiving."""
    import redis.asyncio as aioredis

    from rfs.events import RedisStreamsBroker

    name = f"rfs-victim-{uuid.uuid4().hex[:8]}"
    broker = RedisStreamsBroker(
        redis_url, stream=f"rfs-test:{uuid.uuid4().hex}", client_name=name, block=0.2
    )
    admin = aioredis.Redis.from_url(redis_url)
    try:
        sub = broker.consume("t.*", group="g")
        await broker.publish("t.x", Event(data=1))
        assert (await asyncio.wait_for(sub.__anext__(), 5)).data == 1
        reading = asyncio.ensure_future(sub.__anext__())
        await asyncio.sleep(0.1)  # the consumer is blocked in XREADGROUP now
        killed = 0
        for client in await admin.client_list():
            if client.get("name") == name:
                await admin.client_kill_filter(_id=client["id"])
                killed += 1
        assert killed >= 1
        assert (await broker.publish("t.x", Event(data=2))).is_success()
        assert (await asyncio.wait_for(reading, 10)).data == 2
        await sub.close()
    finally:
        await admin.aclose()
        await broker.destroy()
        await broker.close()


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("nats", marks=pytest.mark.service("nats")),
        pytest.param("rabbitmq", marks=pytest.mark.service("rabbitmq")),
    ],
)
async def test_consumer_reconnects_after_link_drop(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """A consumer whose TCP connection is cut from the far side reconnects and keeps receiving."""
    from urllib.parse import urlsplit, urlunsplit

    from ._proxy import Proxy

    url = request.getfixturevalue(f"{kind}_url")
    parts = urlsplit(url)
    proxy = await Proxy(parts.hostname or "127.0.0.1", parts.port or 0).start()
    netloc = parts.netloc.replace(f":{parts.port}", f":{proxy.port}")
    proxied = urlunsplit(parts._replace(netloc=netloc))
    name = uuid.uuid4().hex[:10]
    if kind == "nats":
        from rfs.events import JetStreamBroker

        consumer = await JetStreamBroker(
            proxied, stream=f"RFSD{name}", prefix=f"d{name}", fetch_timeout=0.2
        ).connect()
        producer = await JetStreamBroker(url, stream=f"RFSD{name}", prefix=f"d{name}").connect()
    else:
        from rfs.events import RabbitMQBroker

        consumer = await RabbitMQBroker(proxied, exchange=f"rfs-drop-{name}").connect()
        producer = await RabbitMQBroker(url, exchange=f"rfs-drop-{name}").connect()
    try:
        sub = consumer.consume("t.*", group="g")
        await asyncio.sleep(0.2)
        await producer.publish("t.x", Event(data=1))
        assert (await asyncio.wait_for(sub.__anext__(), 10)).data == 1
        assert proxy.drop() >= 1
        await asyncio.sleep(0.5)
        await producer.publish("t.x", Event(data=2))
        seen = [(await asyncio.wait_for(sub.__anext__(), 20)).data]
        while seen[-1] != 2:  # event 1 may come again: its ack was lost with the link
            seen.append((await asyncio.wait_for(sub.__anext__(), 20)).data)
        assert set(seen) <= {1, 2}
        await sub.close()
    finally:
        await producer.destroy()
        await consumer.close()
        await producer.close()
        await proxy.close()


@pytest.mark.service("redis")
async def test_redis_trims_stream_and_drops_private_groups(broker_of: Callable[..., Any]) -> None:
    """Publishing trims the stream to about ``maxlen``; closing a group-less subscription
    deletes its private consumer group."""
    broker = await broker_of("redis", maxlen=10)
    sub = broker.consume("t.*")
    await broker.publish("t.x", Event(data=0))
    assert (await asyncio.wait_for(sub.__anext__(), 5)).data == 0
    for i in range(500):
        await broker.publish("t.x", Event(data=i))
    assert await broker.client.xlen(broker.stream) < 200
    assert len(await broker.client.xinfo_groups(broker.stream)) == 1
    await sub.close()
    assert await broker.client.xinfo_groups(broker.stream) == []


@pytest.mark.service("nats")
async def test_nats_recovers_when_stream_vanishes(broker_of: Callable[..., Any]) -> None:
    """The stream deleted under a running consumer (a server that restarted empty) is
    recreated by the next publish, and the consumer re-subscribes and receives."""
    broker = await broker_of("nats", fetch_timeout=0.2)
    sub = broker.consume("t.*", group="g")
    await broker.publish("t.x", Event(data=1))
    assert (await asyncio.wait_for(sub.__anext__(), 10)).data == 1
    reading = asyncio.ensure_future(sub.__anext__())
    await broker.js.delete_stream(broker.stream)
    await asyncio.sleep(0.3)
    assert (await broker.publish("t.x", Event(data=2))).is_success()
    assert (await asyncio.wait_for(reading, 15)).data == 2
    await sub.close()


@pytest.mark.service("redis")
async def test_redis_recovers_when_stream_vanishes(broker_of: Callable[..., Any]) -> None:
    """The stream deleted under a running consumer (a server that restarted empty): the
    consumer recreates its group and receives what is published next."""
    broker = await broker_of("redis", block=0.2)
    sub = broker.consume("t.*", group="g")
    await broker.publish("t.x", Event(data=1))
    assert (await asyncio.wait_for(sub.__anext__(), 10)).data == 1
    reading = asyncio.ensure_future(sub.__anext__())
    await asyncio.sleep(0.1)
    await broker.client.delete(broker.stream)
    await asyncio.sleep(0.5)
    assert (await broker.publish("t.x", Event(data=2))).is_success()
    assert (await asyncio.wait_for(reading, 15)).data == 2
    await sub.close()


async def next_data(sub: Any, count: int, within: float = 15.0) -> list[Any]:
    """The data of the next ``count`` events of ``sub``."""

    async def go() -> list[Any]:
        return [(await sub.__anext__()).data for _ in range(count)]

    return await asyncio.wait_for(go(), within)


@pytest.mark.service("nats")
async def test_nats_groups_with_look_alike_names_each_get_everything(
    broker_of: Callable[..., Any],
) -> None:
    """Groups whose names differ only in characters NATS forbids (``billing.eu``,
    ``billing_eu``, ...) are separate durable consumers: each gets every event."""
    broker = await broker_of("nats")
    groups = ["billing.eu", "billing_eu", "billing eu", "_billing_2e_eu"]
    subs = {group: broker.consume("inv.*", group=group) for group in groups}
    for i in range(6):
        await broker.publish("inv.sent", Event(data=i))
    for group, sub in subs.items():
        assert sorted(await next_data(sub, 6)) == list(range(6)), group
    names = [info.name for info in await broker.js.consumers_info(broker.stream)]
    assert len(set(names)) == len(names) >= len(groups)
    for sub in subs.values():
        await sub.close()


@pytest.mark.service("redis")
async def test_redis_removes_crashed_consumers_after_claiming(
    broker_of: Callable[..., Any],
) -> None:
    """A consumer that read entries and died (never acked) loses them to a live member, and
    once it holds nothing and stays idle it is removed from the group, as is one that died
    holding nothing; the live member stays."""
    broker = await broker_of("redis", claim_idle=0.3, block=0.1)
    sub = broker.consume("jobs.*", group="g")
    await broker.publish("jobs.run", Event(data=0))
    assert await next_data(sub, 1) == [0]
    for i in range(1, 4):
        await broker.publish("jobs.run", Event(data=i))
    client = broker.client
    # what a crashed process leaves behind: entries read under its name, never acked
    taken = await client.xreadgroup("g", "crashed-holding", {broker.stream: ">"}, count=10)
    assert len(taken[0][1]) == 3
    await client.xgroup_createconsumer(broker.stream, "g", "crashed-idle")
    assert sorted(await next_data(sub, 3)) == [1, 2, 3]  # claimed once idle

    reading = asyncio.ensure_future(sub.__anext__())  # keeps the subscription fetching
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    names: set[str] = set()
    while loop.time() < deadline:
        names = {c["name"].decode() for c in await client.xinfo_consumers(broker.stream, "g")}
        if names == {sub.consumer}:
            break
        await asyncio.sleep(0.1)
    assert names == {sub.consumer}
    await broker.publish("jobs.run", Event(data=4))
    assert (await asyncio.wait_for(reading, 10)).data == 4
    await sub.close()
