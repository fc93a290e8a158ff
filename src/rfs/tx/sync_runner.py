"""Run one sync call under ``@Transactional`` options with a sync ``Session``."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from rfs.tx import plan
from rfs.tx.context import CURRENT, Frame
from rfs.tx.manager import TransactionManager, get_manager
from rfs.tx.options import TxOptions
from rfs.tx.outcome import Retry, backoff_delay, report

__all__ = ["run_sync"]


def run_sync(opts: TxOptions, call: Callable[[], Any], wants_result: bool) -> Any:
    """Call ``call()`` inside the transaction ``opts`` asks for and return its value."""
    manager = opts.manager or get_manager()
    outer = CURRENT.get()
    frame = None if outer is None else outer.find(manager)
    route = plan.route(opts, frame, is_async=False)
    if frame is not None:  # join, savepoint and suspend need the active transaction
        if route == "join":
            with plan.joined(opts, frame) as done:
                return done(call())
        if route == "savepoint":
            return _savepoint(opts, manager, frame, outer, call, wants_result)
        if route == "suspend":
            with plan.suspended(manager, outer, is_async=False):
                return call()
    if route == "bare":
        return call()
    attempt = 1
    while True:
        try:
            return _attempt(opts, manager, outer, call, wants_result)
        except Retry as signal:
            if attempt > opts.retries:
                return plan.gave_up(signal, attempt, wants_result)
            time.sleep(backoff_delay(opts, attempt))
            attempt += 1


def _savepoint(
    opts: TxOptions,
    manager: TransactionManager,
    frame: Frame,
    outer: Frame | None,
    call: Callable[[], Any],
    wants_result: bool,
) -> Any:
    session: Session = frame.session
    nested = session.begin_nested()
    inner = Frame(manager, session, outer, is_async=False)
    token = CURRENT.set(inner)
    try:
        result = call()
    except BaseException as exc:
        CURRENT.reset(token)
        if plan.undoes(opts, exc):
            _quietly(nested.rollback)
        else:
            nested.commit()
        raise
    CURRENT.reset(token)
    if plan.rolls_back(result, inner):
        nested.rollback()
    else:
        nested.commit()
    return plan.settle(result, inner, wants_result)


class _Deadline:
    """A sync transaction's timeout: server-side on PostgreSQL, ``interrupt()`` on SQLite."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.started = time.monotonic()
        self._timer: threading.Timer | None = None

    def arm(self, session: Session, manager: TransactionManager) -> None:
        if manager.is_sqlite:
            raw = session.connection().connection.dbapi_connection
            interrupt = getattr(raw, "interrupt", None)
            if interrupt is not None:
                self._timer = threading.Timer(self.timeout, interrupt)
                self._timer.daemon = True
                self._timer.start()
        elif manager.dialect == "postgresql":
            session.execute(plan.statement_timeout(self.timeout))

    def expired(self) -> bool:
        return time.monotonic() - self.started >= self.timeout

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _attempt(
    opts: TxOptions,
    manager: TransactionManager,
    outer: Frame | None,
    call: Callable[[], Any],
    wants_result: bool,
) -> Any:
    session = manager.sync_session()
    frame = Frame(manager, session, outer, is_async=False)
    token = CURRENT.set(frame)
    phase = "begin"
    query_only = opts.read_only and manager.is_sqlite
    deadline = None if opts.timeout is None else _Deadline(opts.timeout)
    try:
        try:
            if opts.isolation is not None or opts.read_only or deadline is not None:
                _begin(session, opts, manager)
            if deadline is not None:
                deadline.arm(session, manager)
            phase = "body"
            try:
                result = call()
            finally:
                if deadline is not None:
                    deadline.disarm()
            if deadline is not None and deadline.expired():
                raise TimeoutError("transaction deadline passed")
            phase = "commit"
            if plan.rolls_back(result, frame) or opts.read_only:
                if query_only:
                    session.execute(plan.QUERY_ONLY_OFF)
                session.rollback()
            else:
                session.commit()
        except BaseException as exc:
            _after_error(session, opts, exc, phase, query_only, frame.rollback_only)
            expired = deadline is not None and deadline.expired()
            error = plan.error_for(exc, phase, opts, expired)
            if error is None:
                raise
            return report(error, exc, wants_result)
    finally:
        CURRENT.reset(token)
        _quietly(session.close)
    return plan.settle(result, frame, wants_result)


def _begin(session: Session, opts: TxOptions, manager: TransactionManager) -> None:
    session.connection(execution_options=plan.begin_options(opts, manager))
    statement = plan.read_only_statement(opts, manager)
    if statement is not None:
        session.execute(statement)


def _after_error(
    session: Session,
    opts: TxOptions,
    exc: BaseException,
    phase: str,
    query_only: bool,
    rollback_only: bool,
) -> None:
    if plan.keeps_work(opts, exc, phase, rollback_only):
        session.commit()
        return
    if query_only:
        try:
            session.execute(plan.QUERY_ONLY_OFF)
        except Exception:
            _quietly(lambda: session.connection().invalidate())
    _quietly(session.rollback)


def _quietly(action: Callable[[], Any]) -> None:
    with contextlib.suppress(Exception):  # the connection may already be gone
        action()
