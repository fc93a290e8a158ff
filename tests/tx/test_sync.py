"""@Transactional on plain functions with a sync Session, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from rfs.result import Failure, Result, Success
from rfs.tx import (
    IllegalTransactionStateError,
    NoTransactionError,
    Propagation,
    TransactionError,
    TransactionManager,
    TransactionTimeoutError,
    current_session,
    current_sync_session,
)
from rfs.tx import Transactional as Tx

from .conftest import database_url


@pytest.fixture
def sync_manager(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[TransactionManager]:
    manager = TransactionManager(database_url(backend, tmp_path, request))
    yield manager
    manager.dispose_sync()


@pytest.fixture
def sync_table(sync_manager: TransactionManager) -> Iterator[str]:
    name = f"tx_sync_{uuid.uuid4().hex[:12]}"
    with sync_manager.sync_engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)"))
    yield name
    with sync_manager.sync_engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


@pytest.fixture
def ids(sync_manager: TransactionManager, sync_table: str) -> Callable[[], list[int]]:
    def read() -> list[int]:
        with sync_manager.sync_engine.connect() as conn:
            return [r[0] for r in conn.execute(text(f"SELECT id FROM {sync_table} ORDER BY id"))]

    return read


def insert(table: str, key: int) -> None:
    current_sync_session().execute(text(f"INSERT INTO {table} (id) VALUES (:id)"), {"id": key})


def test_commit_rollback_and_failure(
    sync_manager: TransactionManager, sync_table: str, ids: Callable[[], list[int]]
):
    """Sync functions commit on return, roll back on exceptions and on a returned Failure."""

    @Tx(manager=sync_manager)
    def add(key: int, outcome: str) -> Result[int, str]:
        insert(sync_table, key)
        if outcome == "raise":
            raise RuntimeError("boom")
        return Success(key) if outcome == "ok" else Failure("no")

    assert add(1, "ok") == Success(1)
    assert add(2, "fail") == Failure("no")
    with pytest.raises(RuntimeError):
        add(3, "raise")
    assert ids() == [1]


def test_propagation(
    sync_manager: TransactionManager, sync_table: str, ids: Callable[[], list[int]]
):
    """REQUIRED joins, NESTED rolls back to its savepoint, MANDATORY and NEVER check."""

    @Tx(manager=sync_manager, propagation=Propagation.NESTED)
    def nested(key: int) -> None:
        insert(sync_table, key)
        raise ValueError("undo the savepoint")

    @Tx(manager=sync_manager, propagation=Propagation.MANDATORY)
    def joined(key: int) -> None:
        insert(sync_table, key)

    @Tx(manager=sync_manager, propagation=Propagation.NEVER)
    def never() -> None:
        pass

    @Tx(manager=sync_manager)
    def outer() -> None:
        insert(sync_table, 1)
        with pytest.raises(ValueError):
            nested(2)
        joined(3)
        with pytest.raises(IllegalTransactionStateError):
            never()

    outer()
    with pytest.raises(IllegalTransactionStateError):
        joined(4)
    assert ids() == [1, 3]


def test_sessions_are_sync(sync_manager: TransactionManager, sync_table: str):
    """Inside a sync transaction current_session() (the async accessor) explains the mix-up."""

    @Tx(manager=sync_manager)
    def work() -> None:
        current_session()

    with pytest.raises(NoTransactionError, match="current_sync_session"):
        work()


def test_read_only(sync_manager: TransactionManager, sync_table: str, ids: Callable[[], list[int]]):
    """A sync read-only transaction refuses writes."""

    @Tx(manager=sync_manager, read_only=True)
    def sneaky() -> None:
        insert(sync_table, 1)

    with pytest.raises(Exception, match=r"(?i)read-only|readonly"):
        sneaky()
    assert ids() == []


def test_isolation(sync_manager: TransactionManager, sync_table: str):
    """The isolation level applies to sync transactions too."""

    @Tx(manager=sync_manager, isolation="REPEATABLE READ")
    def level() -> str | None:
        if sync_manager.is_sqlite:
            return None
        return str(current_sync_session().execute(text("SHOW transaction_isolation")).scalar())

    assert level() in (None, "repeatable read")


def test_timeout(sync_manager: TransactionManager, sync_table: str, ids: Callable[[], list[int]]):
    """A sync statement past the timeout is cancelled and the transaction rolled back."""
    if sync_manager.is_sqlite:
        slow = (
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000)"
            " SELECT count(*) FROM c"
        )
    else:
        slow = "SELECT pg_sleep(30)"

    @Tx(manager=sync_manager, timeout=0.3)
    def work() -> Result[None, TransactionError]:
        insert(sync_table, 1)
        current_sync_session().execute(text(slow))
        return Success(None)

    started = time.monotonic()
    result = work()
    assert time.monotonic() - started < 5
    assert isinstance(result, Failure)
    assert isinstance(result.error, TransactionTimeoutError)
    assert ids() == []
