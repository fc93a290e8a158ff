"""Run one async call under ``@Transactional`` options: propagation, deadline, retries."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rfs.tx import plan
from rfs.tx.context import CURRENT, Frame
from rfs.tx.manager import TransactionManager, get_manager
from rfs.tx.options import TxOptions
from rfs.tx.outcome import Retry, backoff_delay, report

__all__ = ["run_async"]

_SQLITE_GRACE = 0.2  # seconds between SQLite's interrupt() and cancelling the await


async def run_async(opts: TxOptions, call: Callable[[], Awaitable[Any]], wants_result: bool) -> Any:
    """Await ``call()`` inside the transaction ``opts`` asks for and return its value."""
    manager = opts.manager or get_manager()
    outer = CURRENT.get()
    frame = None if outer is None else outer.find(manager)
    route = plan.route(opts, frame, is_async=True)
    if frame is not None:  # join, savepoint and suspend need the active transaction
        if route == "join":
            with plan.joined(opts, frame) as done:
                return done(await call())
        if route == "savepoint":
            return await _savepoint(opts, manager, frame, outer, call, wants_result)
        if route == "suspend":
            with plan.suspended(manager, outer, is_async=True):
                return await call()
    if route == "bare":
        return await call()
    attempt = 1
    while True:
        try:
            return await _attempt(opts, manager, outer, call, wants_result)
        except Retry as signal:
            if attempt > opts.retries:
                return plan.gave_up(signal, attempt, wants_result)
            await asyncio.sleep(backoff_delay(opts, attempt))
            attempt += 1


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
        if plan.undoes(opts, exc):
            await _quietly(nested.rollback())
        else:
            await nested.commit()
        raise
    CURRENT.reset(token)
    if plan.rolls_back(result, inner):
        await nested.rollback()
    else:
        await nested.commit()
    return plan.settle(result, inner, wants_result)


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
                        await session.execute(plan.statement_timeout(opts.timeout or 0.0))
                    phase = "body"
                    try:
                        result = await call()
                    finally:
                        if alarm is not None:
                            alarm.cancel()
                    if alarm is not None and alarm.fired:
                        raise TimeoutError("SQLite statement interrupted at the deadline")
            phase = "commit"
            if plan.rolls_back(result, frame) or opts.read_only:
                if query_only:
                    await session.execute(plan.QUERY_ONLY_OFF)
                await session.rollback()
            else:
                await session.commit()
        except BaseException as exc:
            await _after_error(session, opts, exc, phase, query_only, frame.rollback_only)
            expired = (deadline is not None and deadline.expired()) or (
                alarm is not None and alarm.fired
            )
            error = plan.error_for(exc, phase, opts, expired)
            if error is None:
                raise
            return report(error, exc, wants_result)
    finally:
        CURRENT.reset(token)
        await _quietly(session.close())
    return plan.settle(result, frame, wants_result)


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


async def _begin(session: AsyncSession, opts: TxOptions, manager: TransactionManager) -> None:
    """Start the transaction with its isolation level and read-only mode applied."""
    await session.connection(execution_options=plan.begin_options(opts, manager))
    statement = plan.read_only_statement(opts, manager)
    if statement is not None:
        await session.execute(statement)


async def _after_error(
    session: AsyncSession,
    opts: TxOptions,
    exc: BaseException,
    phase: str,
    query_only: bool,
    rollback_only: bool,
) -> None:
    """Roll back after ``exc``, or commit when a ``no_rollback_for`` rule says so."""
    if plan.keeps_work(opts, exc, phase, rollback_only):
        await session.commit()
        return
    if query_only:
        try:
            await session.execute(plan.QUERY_ONLY_OFF)
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
