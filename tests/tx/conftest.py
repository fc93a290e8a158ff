"""Fixtures for rfs.tx tests: a manager per backend (SQLite file, PostgreSQL) and a fresh table."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from rfs.tx import TransactionManager

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.service("postgres")),
]


def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'tx.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def manager(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[TransactionManager]:
    m = TransactionManager(database_url(backend, tmp_path, request))
    yield m
    await m.dispose()


@asynccontextmanager
async def scratch_table(
    manager: TransactionManager, columns: str, prefix: str = "tx"
) -> AsyncIterator[str]:
    """A new uniquely named table with ``columns``, dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    async with manager.engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {name} ({columns})"))
    try:
        yield name
    finally:
        async with manager.engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


@pytest.fixture
async def table(manager: TransactionManager) -> AsyncIterator[str]:
    """A new table ``(id int primary key, name text)``, dropped after the test."""
    async with scratch_table(manager, "id INTEGER PRIMARY KEY, name TEXT") as name:
        yield name


@pytest.fixture
def committed(manager: TransactionManager, table: str) -> Callable[[], Awaitable[list[int]]]:
    """Reads the committed ids of ``table`` on a separate connection."""

    async def read() -> list[int]:
        async with manager.engine.connect() as conn:
            result = await conn.execute(text(f"SELECT id FROM {table} ORDER BY id"))
            return [row[0] for row in result]

    return read
