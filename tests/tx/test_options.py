"""Decorator options: validation, rollback rules, Result detection, managers and URLs."""

from __future__ import annotations

import builtins
from collections.abc import Awaitable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs.result import Failure, Result, Success
from rfs.tx import (
    DEFAULT_DATABASE_URL,
    Isolation,
    Propagation,
    TransactionManager,
    configure,
    get_manager,
)
from rfs.tx import Transactional as Tx
from rfs.tx.decorator import returns_result
from rfs.tx.options import TxOptions

HIERARCHY = [
    BaseException,
    Exception,
    LookupError,
    KeyError,
    IndexError,
    ArithmeticError,
    ZeroDivisionError,
    ValueError,
    UnicodeError,
]


@given(
    raised=st.sampled_from(HIERARCHY[1:]),
    undo=st.lists(st.sampled_from(HIERARCHY), max_size=3),
    keep=st.lists(st.sampled_from(HIERARCHY), max_size=3),
)
def test_closest_rule_wins(
    raised: type[Exception], undo: list[type[BaseException]], keep: list[type[BaseException]]
):
    """The rule whose class is nearest in the exception's MRO decides; rollback by default."""
    opts = TxOptions(rollback_for=tuple(undo), no_rollback_for=tuple(keep))
    mro = raised.__mro__
    near_undo = min((mro.index(c) for c in undo if c in mro), default=None)
    near_keep = min((mro.index(c) for c in keep if c in mro), default=None)
    expected = near_keep is None or (near_undo is not None and near_undo <= near_keep)
    assert opts.should_rollback(raised("x")) is expected


def test_cancellation_always_rolls_back():
    """Non-Exception errors roll back even when no_rollback_for names BaseException."""
    opts = TxOptions(no_rollback_for=(BaseException,))
    assert opts.should_rollback(KeyboardInterrupt())


def test_result_annotation_detection():
    """Result, Success, Failure (also as strings or Optional) are detected, others not."""

    async def a() -> Result[int, str]: ...
    def b() -> Success[int]: ...
    def c() -> Failure[str] | None: ...
    def d() -> int: ...
    def e(): ...
    def f() -> Result[int, str] | None: ...
    def g() -> Awaitable[Result[int, str]]: ...
    def h() -> NotAResult: ...  # noqa: F821 - unresolvable on purpose

    assert [returns_result(fn) for fn in (a, b, c, d, e, f, g, h)] == [
        True, True, True, False, False, True, True, False,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"propagation": "SOMETIMES"}, ValueError, "REQUIRES_NEW"),
        ({"isolation": "SNAPSHOT"}, ValueError, "SERIALIZABLE"),
        ({"timeout": 0}, ValueError, "positive"),
        ({"timeout": "5"}, TypeError, "seconds"),
        ({"retries": -1}, ValueError, "retries"),
        ({"rollback_for": "ValueError"}, TypeError, "exception classes"),
        ({"manager": "sqlite://"}, TypeError, "TransactionManager"),
    ],
)
def test_bad_options_are_rejected(kwargs: dict[str, object], error: type[Exception], match: str):
    """Wrong option values fail at decoration time with a message naming the fix."""
    with pytest.raises(error, match=match):
        Tx(**kwargs)  # type: ignore[call-overload]


def test_generators_are_rejected():
    """A generator cannot hold a transaction open across yields."""

    def items():
        yield 1

    with pytest.raises(TypeError, match="generator"):
        Tx(items)


def test_option_spellings():
    """Propagation and isolation accept enum members and case-insensitive names."""

    @Tx(propagation="requires_new", isolation="repeatable_read")
    def fn() -> None: ...

    opts = fn.__rfs_transactional__  # type: ignore[attr-defined]
    assert opts.propagation is Propagation.REQUIRES_NEW
    assert opts.isolation is Isolation.REPEATABLE_READ


def test_manager_urls():
    """A manager derives the async and sync drivers of one database from either URL."""
    pg = TransactionManager("postgresql://u:secret@db/app")
    assert pg.engine.url.drivername == "postgresql+asyncpg"
    assert pg.sync_engine.url.drivername == "postgresql+psycopg"
    assert "secret" not in repr(pg)
    lite = TransactionManager("sqlite+aiosqlite:///x.db")
    assert lite.sync_engine.url.drivername == "sqlite"
    assert lite.is_sqlite
    with pytest.raises(TypeError, match="URL"):
        TransactionManager(42)  # type: ignore[arg-type]


def test_default_manager_from_environment(monkeypatch: pytest.MonkeyPatch):
    """get_manager() uses RFS_DATABASE_URL, else the embedded SQLite default; configure wins."""
    previous = configure(None)
    try:
        monkeypatch.setenv("RFS_DATABASE_URL", "sqlite+aiosqlite:///from-env.db")
        assert str(get_manager().url) == "sqlite+aiosqlite:///from-env.db"
        configure(None)
        monkeypatch.delenv("RFS_DATABASE_URL")
        assert str(get_manager().url) == DEFAULT_DATABASE_URL
        chosen = configure("sqlite+aiosqlite:///chosen.db")
        assert get_manager() is chosen
    finally:
        configure(previous)


def test_import_is_light():
    """Importing rfs.tx and the decorator module loads neither SQLAlchemy nor redis."""
    import subprocess
    import sys

    code = (
        "import sys, rfs.tx, rfs.tx.decorator, rfs.tx.options, rfs.tx.errors\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'redis')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert builtins  # keep the import used


def test_alias_survives_submodule_import():
    """``rfs.tx.transactional`` is the decorator even after every submodule was imported."""
    import rfs.tx
    import rfs.tx.decorator
    import rfs.tx.redis

    assert rfs.tx.transactional is rfs.tx.Transactional
    assert rfs.tx.redis_transaction is rfs.tx.RedisTransaction


async def test_unreachable_database_is_a_failure():
    """A database that refuses connections gives Failure(ConnectionLostError), or raises it."""
    from sqlalchemy import text

    from rfs.tx import ConnectionLostError, TransactionError, current_session

    manager = TransactionManager("postgresql+asyncpg://postgres@127.0.0.1:1/none")

    @Tx(manager=manager)
    async def as_result() -> Result[int, TransactionError]:
        await current_session().execute(text("SELECT 1"))
        return Success(1)

    @Tx(manager=manager, isolation="SERIALIZABLE")
    async def plain() -> None:
        await current_session().execute(text("SELECT 1"))

    try:
        result = await as_result()
        assert isinstance(result, Failure)
        assert isinstance(result.error, ConnectionLostError)
        with pytest.raises(ConnectionLostError, match=r"refused|failed"):
            await plain()
    finally:
        await manager.dispose()


async def test_callers_network_errors_pass_through(tmp_path):
    """A ConnectionError raised by the function itself is not mistaken for the database's."""
    manager = TransactionManager(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")

    @Tx(manager=manager)
    async def call_api() -> Result[int, str]:
        raise ConnectionRefusedError("payment API down")

    try:
        with pytest.raises(ConnectionRefusedError, match="payment API"):
            await call_api()
    finally:
        await manager.dispose()


def test_rfs_v4_spellings():
    """RFS v4's option names and enums configure the same transaction."""
    from datetime import timedelta

    from rfs.tx import IsolationLevel, PropagationLevel

    @Tx(
        isolation=IsolationLevel.REPEATABLE_READ,
        propagation=PropagationLevel.REQUIRES_NEW,
        retry_count=4,
        retry_delay=0.5,
        readonly=True,
        rollback_for=[ValueError],
        timeout=timedelta(seconds=30),
    )
    async def fn() -> None: ...

    opts = fn.__rfs_transactional__  # type: ignore[attr-defined]
    assert (opts.isolation, opts.propagation) == (
        Isolation.REPEATABLE_READ,
        Propagation.REQUIRES_NEW,
    )
    assert (opts.retries, opts.backoff, opts.read_only, opts.timeout) == (4, 0.5, True, 30.0)
    assert opts.rollback_for == (ValueError,)
    with pytest.raises(TypeError, match="retry_count"):
        Tx(retries=1, retry_count=2)


def test_every_exported_name_resolves():
    """Each name in ``rfs.tx.__all__`` loads from its module."""
    import rfs.tx

    for name in rfs.tx.__all__:
        assert getattr(rfs.tx, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute"):
        rfs.tx.Transactionnal  # type: ignore[attr-defined]  # noqa: B018
