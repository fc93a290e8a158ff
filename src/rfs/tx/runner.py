"""Run one async call under ``@Transactional`` options: propagation, deadline, retries."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from rfs.result import Failure
from rfs.tx.context import CURRENT, Frame
from rfs.tx.errors import IllegalTransactionStateError
from rfs.tx.manager import TransactionManager, get_manager
from rfs.tx.options import Propagation, TxOptions
from rfs.tx.outcome import (
    Retry,
    backoff_delay,
    classify,
    is_fault,
    report,
    rollback_only_error,
    serialization_error,
    timeout_error,
)

__all__ = ["run_async"]

_JOINING = (Propagation.REQUIRED, Propagation.SUPPORTS, Propagation.MANDATORY)
_WITHOUT = (Propagation.NEVER, Propagation.SUPPORTS, Propagation.NOT_SUPPORTED)
_QUERY_ONLY_ON = text("PRAGMA query_only = ON")
_QUERY_ONLY_OFF = text("PRAGMA query_only = OFF")
_SQLITE_GRACE = 0.2  # seconds between SQLite's interrupt() and cancelling the await


async def run_async(opts: TxOptions, call: Callable[[], Awaitable[Any]], wants_result: bool) -> Any:
    """Await ``call()`` inside the transaction ``opts`` asks for and return its value."""
    manager = opts.manager or get_manager()
    outer = CURRENT.get()
    frame = None if outer is None else outer.find(manager)
    prop = opts.propagation
    if frame is not None and frame.session is not None and frame.is_async:
        if prop in _JOINING:
            return await _join(opts, frame, call)
        if prop is Propagation.NESTED:
            return await _savepoint(opts, manager, frame, outer, call, wants_result)
        if prop is Propagation.NOT_SUPPORTED:
            return await _suspended(manager, outer, call)
        if prop is Propagation.NEVER:
            raise IllegalTransactionStateError(
                "propagation=NEVER but a transaction is active: call this function outside "
                "@Transactional code, or use NOT_SUPPORTED to suspend the transaction"
            )
    elif prop is Propagation.MANDATORY:
        raise IllegalTransactionStateError(
            "propagation=MANDATORY but no transaction is active: call this function from "
            "@Transactional code, or use REQUIRED"
        )
    elif prop in _WITHOUT:
        return await call()
    attempt = 1
    while True:
        try:
            return await _attempt(opts, manager, outer, call, wants_result)
        except Retry as signal:
            if attempt > opts.retries:
                return report(
                    serialization_error(signal.cause, attempt), signal.cause, wants_result
                )
            await asyncio.sleep(backoff_delay(opts, attempt))
            attempt += 1


async def _join(opts: TxOptions, frame: Frame, call: Callable[[], Awaitable[Any]]) -> Any:
    """Run in the caller's transaction; a failure here makes the whole transaction roll back."""
    try:
        result = await call()
    except BaseException as exc:
        if opts.should_rollback(exc):
            frame.rollback_only = True
        raise
    if isinstance(result, Failure):
        frame.rollback_only = True
    return result


async def _suspended(
    manager: TransactionManager, outer: Frame | None, call: Callable[[], Awaitable[Any]]
) -> Any:
    """Run with the manager's transaction hidden (NOT_SUPPORTED)."""
    token = CURRENT.set(Frame(manager, None, outer))
    try:
        return await call()
    finally:
        CURRENT.reset(token)


async def _savepoint(
    opts: TxOptions,
    manager: TransactionManager,
    frame: Frame,
    outer: Frame | None,
    call: Callable[[], Awaitable[Any]],
    wants_result: bool,
) -> Any:
    """NESTED inside a transaction: a savepoint that rolls back alone on failure."""
    session: AsyncSession = frame.session
    nested = await session.begin_nested()
    inner = Frame(manager, session, outer)
    token = CURRENT.set(inner)
    try:
        result = await call()
    except BaseException as exc:
        CURRENT.reset(token)
        if opts.should_rollback(exc) or is_fault(exc):
            await _quietly(nested.rollback())
        else:
            await nested.commit()
        raise
    CURRENT.reset(token)
    if isinstance(result, Failure) or inner.rollback_only:
        await nested.rollback()
        if not isinstance(result, Failure):
            return report(rollback_only_error(), None, wants_result)
    else:
        await nested.commit()
    return result


async def _attempt(
    opts: TxOptions,
    manager: TransactionManager,
    outer: Frame | None,
    call: Callable[[], Awaitable[Any]],
    wants_result: bool,
) -> Any:
    """One run of a new transaction: begin, call, then commit or roll back."""
    session = manager.session()
    frame = Frame(manager, session, outer)
    token = CURRENT.set(frame)
    phase = "begin"
    query_only = opts.read_only and manager.is_sqlite
    deadline: asyncio.Timeout | None = None
    alarm: _Alarm | None = None
    if opts.timeout is not None:
        grace = _SQLITE_GRACE if manager.is_sqlite else 0.0
        deadline = asyncio.timeout(opts.timeout + grace)
    try:
        try:
            if deadline is None:
                if opts.isolation is not None or opts.read_only:
                    await _begin(session, opts, manager)
                phase = "body"
                result = await call()
            else:
                async with deadline:
                    await _begin(session, opts, manager)
                    if manager.is_sqlite:
                        alarm = await _Alarm.start(session, deadline, _SQLITE_GRACE)
                    elif manager.dialect == "postgresql":  # the server cancels too
                        await session.execute(_statement_timeout(opts.timeout or 0.0))
                    phase = "body"
                    try:
                        result = await call()
                    finally:
                        if alarm is not None:
                            alarm.cancel()
                    if alarm is not None and alarm.fired:
                        raise TimeoutError("SQLite statement interrupted at the deadline")
            phase = "commit"
            if isinstance(result, Failure) or frame.rollback_only or opts.read_only:
                if query_only:
                    await session.execute(_QUERY_ONLY_OFF)
                await session.rollback()
            else:
                await session.commit()
        except BaseException as exc:
            await _after_error(session, opts, exc, phase, query_only, frame.rollback_only)
            expired = (deadline is not None and deadline.expired()) or (
                alarm is not None and alarm.fired
            )
            if expired and phase != "commit" and isinstance(exc, Exception):
                return report(timeout_error(opts), exc, wants_result)
            error = classify(exc, phase, opts)
            if error is None:
                raise
            return report(error, exc, wants_result)
    finally:
        CURRENT.reset(token)
        await _quietly(session.close())
    if frame.rollback_only and not isinstance(result, Failure):
        return report(rollback_only_error(), None, wants_result)
    return result


class _Alarm:
    """Interrupts SQLite's running statement at the deadline.

    Cancelling the await alone would leave the statement running in aiosqlite's thread and
    the connection terminated with its lock held, so SQLite gets ``interrupt()`` first and
    the asyncio deadline (for awaits outside the database) follows after a grace period.
    """

    __slots__ = ("fired", "handle", "interrupt")

    def __init__(self, interrupt: Callable[[], None]) -> None:
        self.interrupt = interrupt
        self.fired = False
        self.handle: asyncio.TimerHandle | None = None

    @classmethod
    async def start(
        cls, session: AsyncSession, deadline: asyncio.Timeout, grace: float
    ) -> _Alarm | None:
        when = deadline.when()
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        # aiosqlite keeps the sqlite3 connection in ``_conn``; interrupt() is thread-safe
        interrupt = getattr(getattr(raw.driver_connection, "_conn", None), "interrupt", None)
        if when is None or interrupt is None:
            return None
        alarm = cls(interrupt)
        alarm.handle = asyncio.get_running_loop().call_at(when - grace, alarm.ring)
        return alarm

    def ring(self) -> None:
        self.fired = True
        self.interrupt()

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()


def _statement_timeout(seconds: float) -> TextClause:
    """``SET LOCAL statement_timeout`` for PostgreSQL, so the server cancels as well."""
    return text(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")


async def _begin(session: AsyncSession, opts: TxOptions, manager: TransactionManager) -> None:
    """Start the transaction with its isolation level and read-only mode applied."""
    options: dict[str, Any] = {}
    if manager.is_sqlite:
        if opts.read_only:
            options["rfs_read_only"] = True
    else:
        if opts.isolation is not None:
            options["isolation_level"] = opts.isolation.value
        if opts.read_only and manager.dialect == "postgresql":
            options["postgresql_readonly"] = True
    await session.connection(execution_options=options or None)
    if opts.read_only:
        if manager.is_sqlite:
            await session.execute(_QUERY_ONLY_ON)
        elif manager.dialect != "postgresql":
            await session.execute(text("SET TRANSACTION READ ONLY"))


async def _after_error(
    session: AsyncSession,
    opts: TxOptions,
    exc: BaseException,
    phase: str,
    query_only: bool,
    rollback_only: bool,
) -> None:
    """Roll back after ``exc``, or commit when a ``no_rollback_for`` rule says so."""
    keep = (
        phase == "body"
        and not rollback_only
        and not opts.read_only
        and not opts.should_rollback(exc)
        and not is_fault(exc)
    )
    if keep:
        await session.commit()
        return
    if query_only:
        try:
            await session.execute(_QUERY_ONLY_OFF)
        except Exception:
            await _quietly(_invalidate(session))
    await _quietly(session.rollback())


async def _invalidate(session: AsyncSession) -> None:
    connection = await session.connection()
    await connection.invalidate()


async def _quietly(awaitable: Awaitable[Any]) -> None:
    """Await cleanup whose own failure must not hide the error being reported."""
    with contextlib.suppress(Exception):  # the connection may already be gone
        await awaitable
