"""Broker fixtures: one factory per backend, each with unique stream/subject names."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("redis", id="redis", marks=pytest.mark.service("redis")),
    pytest.param("nats", id="nats", marks=pytest.mark.service("nats")),
    pytest.param("rabbitmq", id="rabbitmq", marks=pytest.mark.service("rabbitmq")),
    pytest.param("multiprocess", id="multiprocess"),
    pytest.param("kafka", id="kafka", marks=pytest.mark.service("kafka")),
]


URLS: dict[str, str] = {}
SERVERS = ("redis", "nats", "rabbitmq", "kafka")
KAFKA_TEST_OPTIONS = {"session_timeout": 2.0, "heartbeat_interval": 0.2, "fetch_timeout": 0.2}
"""Fast group joins and failover on the test broker (Tansu joins a group in about a second)."""
PATIENT_OPTIONS: dict[str, dict[str, float]] = {
    "redis": {"claim_idle": 30.0},
    "nats": {"ack_wait": 30.0},
}
"""For tests that count deliveries: no redelivery of a slow ack on a loaded machine."""
REDELIVERY_OPTIONS: dict[str, dict[str, float]] = {
    "nats": {"batch_size": 1, "fetch_timeout": 3.0},
}
"""For tests that count redeliveries after ``ack_wait`` (1 s on NATS). A NATS pull request then
ends with the one message it gets and outlives ``ack_wait``, so no request expires just as a
redelivery comes due. When both fall in the same instant (as with a 1 s fetch timeout, once a
loaded machine delays the server by a millisecond), nats-server before 2.10.14 hands the
redelivery out as a first delivery, resetting its count (nats-io/nats-server#5305)."""


async def make_broker(kind: str, **options: Any) -> Any:
    """A fresh broker of ``kind`` on names no other test uses, tuned for fast redelivery."""
    name = uuid.uuid4().hex[:12]
    if kind == "memory":
        from rfs.events import InMemoryBroker

        return InMemoryBroker(**options)
    if kind == "redis":
        from rfs.events import RedisStreamsBroker

        options.setdefault("claim_idle", 0.3)
        return RedisStreamsBroker(URLS["redis"], stream=f"rfs-test:{name}", **options)
    if kind == "nats":
        from rfs.events import JetStreamBroker

        options.setdefault("ack_wait", 1.0)
        stream = f"RFS_TEST_{name}"
        broker = JetStreamBroker(URLS["nats"], stream=stream, prefix=stream.lower(), **options)
        await broker.connect()
        return broker
    if kind == "rabbitmq":
        from rfs.events import RabbitMQBroker

        broker = RabbitMQBroker(URLS["rabbitmq"], exchange=f"rfs-test-{name}", **options)
        await broker.connect()
        return broker
    if kind == "kafka":
        from rfs.events import KafkaBroker

        for option, value in KAFKA_TEST_OPTIONS.items():
            options.setdefault(option, value)
        return await KafkaBroker(URLS["kafka"], prefix=f"rfs-test-{name}", **options).connect()
    if kind == "multiprocess":
        from rfs.events import MultiprocessBroker

        broker = MultiprocessBroker(**options)
        await broker.start()
        return broker
    raise ValueError(kind)


async def dispose(broker: Any) -> None:
    """Close the broker and delete what it created on the server."""
    destroy = getattr(broker, "destroy", None)
    if destroy is not None:
        await destroy()
    await broker.close()


@pytest.fixture(params=BACKENDS)
async def broker_factory(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    """Build brokers of the parametrized backend; all are closed and cleaned up after the test."""
    made: list[Any] = []
    if request.param in SERVERS:
        URLS[request.param] = request.getfixturevalue(f"{request.param}_url")

    async def factory(**options: Any) -> Any:
        broker = await make_broker(request.param, **options)
        made.append(broker)
        return broker

    factory.kind = request.param  # type: ignore[attr-defined]
    yield factory
    for broker in made:
        await dispose(broker)


@pytest.fixture
async def broker_of(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    """Build a broker of a named kind (``await broker_of("redis")``); cleaned up afterwards."""
    made: list[Any] = []

    async def factory(kind: str, **options: Any) -> Any:
        if kind in SERVERS:
            URLS[kind] = request.getfixturevalue(f"{kind}_url")
        broker = await make_broker(kind, **options)
        made.append(broker)
        return broker

    yield factory
    for broker in made:
        await dispose(broker)
