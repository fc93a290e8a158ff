"""The I/O of a transaction: the same operations on an ``AsyncSession`` and on a ``Session``.

:mod:`rfs.tx.runner` decides what to do; a driver only does it. ``ASYNC`` returns
SQLAlchemy's own awaitables. ``SYNC`` runs each operation at once inside a coroutine that
never suspends, so the runner's coroutine completes on its first ``send(None)`` without an
event loop. A driver also owns the clock of a ``timeout``: ``asyncio.timeout`` plus an
``interrupt()`` of SQLite's running statement for async code, a timer thread for sync code.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import TextClause
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from rfs.tx.manager import TransactionManager

__all__ = ["ASYNC", "SYNC", "Deadline", "Driver"]

_SQLITE_GRACE = 0.2  # seconds between SQLite's interrupt() and cancelling the await


class Deadline(Protocol):
    """A transaction's timeout, entered around begin and body (``async with deadline:``)."""

    async def __aenter__(self) -> None: ...
    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None: ...
    def arm(self, session: Any) -> Awaitable[None]:
        """Interrupt the session's running statement at the deadline (SQLite)."""
        ...

    def disarm(self) -> None:
        """Cancel the interrupt (the body is done)."""
        ...

    def expired(self) -> bool:
        """Whether the deadline has passed (or the statement was interrupted)."""
        ...


class Driver(Protocol):
    """The session operations the runner needs, for one flavour of session."""

    is_async: bool

    def session(self, manager: TransactionManager) -> Any: ...
    def begin(self, session: Any, options: dict[str, Any] | None) -> Awaitable[Any]: ...
    def execute(self, session: Any, statement: TextClause) -> Awaitable[Any]: ...
    def begin_nested(self, session: Any) -> Awaitable[Any]: ...
    def commit(self, target: Any) -> Awaitable[None]: ...
    def rollback(self, target: Any) -> Awaitable[None]: ...
    def close(self, session: Any) -> Awaitable[None]: ...
    def invalidate(self, session: Any) -> Awaitable[None]: ...
    def call(self, fn: Callable[[], Any]) -> Awaitable[Any]: ...
    def sleep(self, seconds: float) -> Awaitable[None]: ...
    def deadline(self, seconds: float, manager: TransactionManager) -> Deadline: ...


# -- async --------------------------------------------------------------------------------
class _AsyncDriver:
    is_async = True

    def session(self, manager: TransactionManager) -> AsyncSession:
        return manager.session()

    def begin(self, session: AsyncSession, options: dict[str, Any] | None) -> Awaitable[Any]:
        return session.connection(execution_options=options)

    def execute(self, session: AsyncSession, statement: TextClause) -> Awaitable[Any]:
        return session.execute(statement)

    def begin_nested(self, session: AsyncSession) -> Awaitable[Any]:
        return session.begin_nested()

    def commit(self, target: Any) -> Awaitable[None]:
        return target.commit()  # type: ignore[no-any-return]

    def rollback(self, target: Any) -> Awaitable[None]:
        return target.rollback()  # type: ignore[no-any-return]

    def close(self, session: AsyncSession) -> Awaitable[None]:
        return session.close()

    async def invalidate(self, session: AsyncSession) -> None:
        connection = await session.connection()
        await connection.invalidate()

    def call(self, fn: Callable[[], Any]) -> Awaitable[Any]:
        return fn()  # type: ignore[no-any-return]

    def sleep(self, seconds: float) -> Awaitable[None]:
        return asyncio.sleep(seconds)

    def deadline(self, seconds: float, manager: TransactionManager) -> Deadline:
        return _AsyncDeadline(seconds, _SQLITE_GRACE if manager.is_sqlite else 0.0)


class _AsyncDeadline:
    """``asyncio.timeout`` for awaits, and SQLite's ``interrupt()`` a grace period earlier.

    Cancelling the await alone would leave the statement running in aiosqlite's thread and
    the connection terminated with its lock held, so SQLite is interrupted first.
    """

    __slots__ = ("fired", "grace", "handle", "timeout")

    def __init__(self, seconds: float, grace: float) -> None:
        self.timeout = asyncio.timeout(seconds + grace)
        self.grace = grace
        self.fired = False
        self.handle: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> None:
        await self.timeout.__aenter__()  # returns the Timeout itself, not needed here

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        await self.timeout.__aexit__(kind, exc, tb)  # turns the cancellation into TimeoutError
        return None

    async def arm(self, session: AsyncSession) -> None:
        when = self.timeout.when()
        if not self.grace or when is None:
            return
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        # aiosqlite keeps the sqlite3 connection in ``_conn``; interrupt() is thread-safe
        interrupt = getattr(getattr(raw.driver_connection, "_conn", None), "interrupt", None)
        if interrupt is not None:
            self.handle = asyncio.get_running_loop().call_at(
                when - self.grace, self._ring, interrupt
            )

    def _ring(self, interrupt: Callable[[], None]) -> None:
        self.fired = True
        interrupt()

    def disarm(self) -> None:
        if self.handle is not None:
            self.handle.cancel()

    def expired(self) -> bool:
        return self.fired or self.timeout.expired()


# -- sync ---------------------------------------------------------------------------------
class _SyncDriver:
    is_async = False

    def session(self, manager: TransactionManager) -> Session:
        return manager.sync_session()

    async def begin(self, session: Session, options: dict[str, Any] | None) -> Any:
        return session.connection(execution_options=options)

    async def execute(self, session: Session, statement: TextClause) -> Any:
        return session.execute(statement)

    async def begin_nested(self, session: Session) -> Any:
        return session.begin_nested()

    async def commit(self, target: Any) -> None:
        target.commit()

    async def rollback(self, target: Any) -> None:
        target.rollback()

    async def close(self, session: Session) -> None:
        session.close()

    async def invalidate(self, session: Session) -> None:
        session.connection().invalidate()

    async def call(self, fn: Callable[[], Any]) -> Any:
        return fn()

    async def sleep(self, seconds: float) -> None:
        time.sleep(seconds)  # noqa: ASYNC251 - the sync driver's coroutines never suspend

    def deadline(self, seconds: float, manager: TransactionManager) -> Deadline:
        return _SyncDeadline(seconds, manager.is_sqlite)


class _SyncDeadline:
    """A sync transaction's clock, and a timer thread calling SQLite's ``interrupt()``."""

    __slots__ = ("sqlite", "started", "timeout", "timer")

    def __init__(self, seconds: float, sqlite: bool) -> None:
        self.timeout = seconds
        self.sqlite = sqlite
        self.started = time.monotonic()
        self.timer: threading.Timer | None = None

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        return None

    async def arm(self, session: Session) -> None:
        if not self.sqlite:
            return
        raw = session.connection().connection.dbapi_connection
        interrupt = getattr(raw, "interrupt", None)
        if interrupt is not None:
            self.timer = threading.Timer(self.timeout, interrupt)
            self.timer.daemon = True
            self.timer.start()

    def disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def expired(self) -> bool:
        return time.monotonic() - self.started >= self.timeout


ASYNC: Driver = _AsyncDriver()
SYNC: Driver = _SyncDriver()
