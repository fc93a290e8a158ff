"""Which database a transactional call uses (explicit, the active DI registry's, the default),
and what a doomed transaction's error says."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.tx.conftest import scratch_table

from rfs.di import Component, Registry, current_registry
from rfs.result import Failure, Result, Success
from rfs.tx import (
    Transactional,
    TransactionManager,
    UnexpectedRollbackError,
    configure,
    current_session,
    current_sync_session,
    get_manager,
)


async def _ids(manager: TransactionManager, table: str) -> list[int]:
    async with manager.engine.connect() as conn:
        return [row[0] for row in await conn.execute(text(f"SELECT id FROM {table} ORDER BY id"))]


class Table:
    """The name of the table an ``Orders`` adapter writes to (one per registry)."""

    def __init__(self, name: str) -> None:
        self.name = name


class Orders:
    """An adapter whose @Transactional methods name no manager: the registry decides."""

    def __init__(self, table: Table) -> None:
        self.table = table.name

    @Transactional
    async def add(self, key: int) -> Result[int, str]:
        await current_session().execute(text(f"INSERT INTO {self.table} (id) VALUES ({key})"))
        return Success(key)

    @Transactional
    def add_sync(self, key: int) -> int:
        current_sync_session().execute(text(f"INSERT INTO {self.table} (id) VALUES ({key})"))
        return key


def _registry(manager: TransactionManager | None, table: str, profile: str = "default") -> Registry:
    registry = Registry(profile=profile)
    if manager is not None:
        registry.register(TransactionManager, instance=manager)
    registry.register(Table, instance=Table(table))
    registry.register(Orders)
    return registry


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[TransactionManager]:
    manager = TransactionManager(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    yield manager
    await manager.dispose()


@pytest.fixture
async def other_sqlite(tmp_path: Path) -> AsyncIterator[TransactionManager]:
    manager = TransactionManager(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    yield manager
    await manager.dispose()


@pytest.fixture
def default_manager(tmp_path: Path) -> AsyncIterator[TransactionManager]:
    """A configured default manager on its own file, restored afterwards."""
    previous = get_manager()
    chosen = configure(f"sqlite+aiosqlite:///{tmp_path / 'default.db'}")
    assert isinstance(chosen, TransactionManager) and get_manager() is chosen
    yield chosen
    configure(previous)


@pytest.mark.service("postgres")
async def test_two_registries_use_two_databases_side_by_side(
    sqlite: TransactionManager, postgres_url: str
) -> None:
    """Adapters resolved from a SQLite registry and a PostgreSQL registry, run concurrently in
    one process, each write to their own registry's database."""
    postgres = TransactionManager(postgres_url)
    columns = "id INTEGER PRIMARY KEY"
    try:
        async with (
            scratch_table(sqlite, columns) as lite_table,
            scratch_table(postgres, columns) as pg_table,
        ):
            lite = _registry(sqlite, lite_table, profile="lite")  # one adapter class,
            pg = _registry(postgres, pg_table, profile="pg")  # two containers

            async def place(registry: Registry, keys: range) -> list[object]:
                orders = registry.resolve(Orders)
                results: list[object] = []
                async with registry.request_scope():  # the registry is active inside
                    for key in keys:
                        results.append(await orders.add(key))
                        await asyncio.sleep(0)  # interleave with the other registry's task
                return results

            lite_results, pg_results = await asyncio.gather(
                place(lite, range(1, 4)), place(pg, range(10, 13))
            )
            assert lite_results == [Success(1), Success(2), Success(3)]
            assert pg_results == [Success(10), Success(11), Success(12)]
            assert await _ids(sqlite, lite_table) == [1, 2, 3]
            assert await _ids(postgres, pg_table) == [10, 11, 12]
    finally:
        await postgres.dispose()


async def test_the_active_registry_binding_serves_calls(
    sqlite: TransactionManager,
    other_sqlite: TransactionManager,
    default_manager: TransactionManager,
) -> None:
    """Inside ``activate()`` the registry's manager is used, outside it the default one."""
    async with (
        scratch_table(sqlite, "id INTEGER PRIMARY KEY") as table,
        scratch_table(default_manager, "id INTEGER PRIMARY KEY", prefix=table) as default_table,
    ):
        registry = _registry(sqlite, table)
        async with registry.activate():
            assert current_registry() is registry
            assert await registry.resolve(Orders).add(1) == Success(1)
        assert current_registry() is None
        elsewhere = _registry(None, default_table).resolve(Orders)
        assert await elsewhere.add(2) == Success(2)  # no active registry: the default
        assert await _ids(sqlite, table) == [1]
        assert await _ids(default_manager, default_table) == [2]


async def test_explicit_manager_wins_over_the_registry(
    sqlite: TransactionManager, other_sqlite: TransactionManager
) -> None:
    """``manager=`` is used even inside a registry that binds another manager."""
    async with scratch_table(other_sqlite, "id INTEGER PRIMARY KEY") as table:
        registry = _registry(sqlite, table)

        @Transactional(manager=other_sqlite)
        async def add(key: int) -> None:
            await current_session().execute(text(f"INSERT INTO {table} (id) VALUES ({key})"))

        with registry.activate():
            await add(7)
        assert await _ids(other_sqlite, table) == [7]


async def test_profile_selects_the_manager(
    sqlite: TransactionManager, other_sqlite: TransactionManager
) -> None:
    """With one manager bound per profile, the registry's active profile picks the database."""
    async with (
        scratch_table(sqlite, "id INTEGER PRIMARY KEY") as test_table,
        scratch_table(other_sqlite, "id INTEGER PRIMARY KEY") as prod_table,
    ):
        for profile, table, key in (("test", test_table, 1), ("prod", prod_table, 2)):
            registry = _registry(None, table, profile=profile)
            registry.register(TransactionManager, instance=sqlite, profile="test")
            registry.register(TransactionManager, instance=other_sqlite, profile="prod")
            async with registry:  # start()..shutdown() activates it too
                assert await registry.resolve(Orders).add(key) == Success(key)
        assert await _ids(sqlite, test_table) == [1]
        assert await _ids(other_sqlite, prod_table) == [2]


async def test_registry_without_a_manager_falls_back_to_the_default(
    default_manager: TransactionManager,
) -> None:
    """An active registry that binds no TransactionManager leaves the default in charge."""
    async with scratch_table(default_manager, "id INTEGER PRIMARY KEY") as table:
        registry = _registry(None, table)
        with registry.activate():
            assert await registry.resolve(Orders).add(5) == Success(5)
        assert await _ids(default_manager, table) == [5]


async def test_sync_functions_use_the_active_registry(sqlite: TransactionManager) -> None:
    """Sync @Transactional code finds the registry's manager the same way."""
    async with scratch_table(sqlite, "id INTEGER PRIMARY KEY") as table:
        registry = _registry(sqlite, table)
        with registry.request_scope():
            assert registry.resolve(Orders).add_sync(3) == 3
        assert await _ids(sqlite, table) == [3]


async def test_a_manager_created_by_the_registry_is_used(tmp_path: Path) -> None:
    """A TransactionManager provided by a component factory (not an instance) serves calls."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'made.db'}"
    registry = Registry()

    @Component(registry=registry)
    class Settings:
        database_url = url

    def database(settings: Settings) -> TransactionManager:
        return TransactionManager(settings.database_url)

    registry.register(TransactionManager, database)
    manager = registry.resolve(TransactionManager)
    try:
        async with scratch_table(manager, "id INTEGER PRIMARY KEY") as table:
            registry.register(Table, instance=Table(table))
            registry.register(Orders)
            async with registry.activate():
                assert await registry.resolve(Orders).add(9) == Success(9)
            assert await _ids(manager, table) == [9]
    finally:
        await manager.dispose()


async def test_unexpected_rollback_names_the_joined_call_and_its_failure(
    sqlite: TransactionManager,
) -> None:
    """The error of a doomed commit names the outer call, the joined call and its Failure."""

    @Transactional(manager=sqlite)
    async def reserve_stock(sku: str) -> Result[None, str]:
        return Failure(f"{sku} is out of stock")

    @Transactional(manager=sqlite)
    async def place_order(sku: str) -> Result[str, object]:
        await reserve_stock(sku)  # its Failure is ignored here
        return Success("placed")

    result = await place_order("tea")
    assert isinstance(result, Failure)
    error = result.error
    assert isinstance(error, UnexpectedRollbackError)
    assert error.call is not None and error.call.endswith("reserve_stock")
    assert error.failure == Failure("tea is out of stock")
    message = str(error)
    assert "place_order" in message and "reserve_stock" in message
    assert "Failure('tea is out of stock')" in message and "NESTED" in message


async def test_unexpected_rollback_names_a_raised_exception(sqlite: TransactionManager) -> None:
    """A joined call that raised (and was caught by its caller) is named with its exception."""

    @Transactional(manager=sqlite)
    async def check(n: int) -> None:
        raise ValueError(f"bad quantity {n}")

    @Transactional(manager=sqlite)
    async def outer() -> str:
        with contextlib.suppress(ValueError):
            await check(3)
        return "done"

    with pytest.raises(UnexpectedRollbackError) as info:
        await outer()
    assert isinstance(info.value.failure, ValueError)
    assert "raised ValueError: bad quantity 3" in str(info.value)
