"""Shared test configuration: the ``service`` marker and connection URLs for local servers.

A test that needs a server is marked ``@pytest.mark.service("redis")`` (or postgres, rabbitmq,
nats, mosquitto). It is skipped with the reason when the server does not answer, and fails
instead when ``RFS_REQUIRE_SERVICES=1`` (set by CI), so a missing server never passes silently.
"""

from __future__ import annotations

import os
import socket
from functools import cache

import pytest

SERVICE_PORTS = {
    "postgres": ("127.0.0.1", 5432),
    "redis": ("127.0.0.1", 6379),
    "rabbitmq": ("127.0.0.1", 5672),
    "nats": ("127.0.0.1", 4222),
    "mosquitto": ("127.0.0.1", 1883),
    "kafka": ("127.0.0.1", 9092),
}

# services that are a local program rather than a server: marker name -> executable
SERVICE_PROGRAMS = {"chromium": "/usr/bin/chromium"}

SERVICE_URLS = {
    "postgres": os.environ.get(
        "RFS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    ),
    "redis": os.environ.get("RFS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("RFS_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//"),
    "nats": os.environ.get("RFS_TEST_NATS_URL", "nats://127.0.0.1:4222"),
    "kafka": os.environ.get("RFS_TEST_KAFKA_URL", "127.0.0.1:9092"),
}


@cache
def service_available(name: str) -> bool:
    """Whether the named local server accepts a TCP connection."""
    host, port = SERVICE_PORTS[name]
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_services() -> bool:
    return os.environ.get("RFS_REQUIRE_SERVICES") == "1"


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("service"):
        for name in marker.args:
            if name in SERVICE_PROGRAMS:
                if os.access(SERVICE_PROGRAMS[name], os.X_OK):
                    continue
                reason = f"{name} is not installed at {SERVICE_PROGRAMS[name]}"
                if require_services():
                    pytest.fail(f"{reason} and RFS_REQUIRE_SERVICES=1", pytrace=False)
                pytest.skip(reason)
            if name not in SERVICE_PORTS:
                raise pytest.UsageError(f"unknown service {name!r}; known: {sorted(SERVICE_PORTS)}")
            if service_available(name):
                continue
            host, port = SERVICE_PORTS[name]
            reason = f"{name} is not reachable on {host}:{port}"
            if require_services():
                pytest.fail(f"{reason} and RFS_REQUIRE_SERVICES=1", pytrace=False)
            pytest.skip(reason)


@pytest.fixture
def postgres_url() -> str:
    """SQLAlchemy URL of the test PostgreSQL database (asyncpg driver)."""
    return SERVICE_URLS["postgres"]


@pytest.fixture
def redis_url() -> str:
    return SERVICE_URLS["redis"]


@pytest.fixture
def rabbitmq_url() -> str:
    return SERVICE_URLS["rabbitmq"]


@pytest.fixture
def nats_url() -> str:
    return SERVICE_URLS["nats"]


@pytest.fixture
def kafka_url() -> str:
    """Bootstrap servers of the test Kafka-protocol broker (Tansu in CI)."""
    return SERVICE_URLS["kafka"]


@pytest.fixture(autouse=True)
def _saga_memory_default(saga_memory_log: object) -> None:
    """Sagas without ``log=`` write to a fresh memory log in tests, not to ``.rfs/sagas.db``."""
