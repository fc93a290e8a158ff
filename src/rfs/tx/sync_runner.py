"""Run one sync call under ``@Transactional`` options with a sync ``Session``."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

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

__all__ = ["run_sync"]

_JOINING = (Propagation.REQUIRED, Propagation.SUPPORTS, Propagation.MANDATORY)
_WITHOUT = (Propagation.NEVER, Propagation.SUPPORTS, Propagation.NOT_SUPPORTED)


def run_sync(opts: TxOptions, call: Callable[[], Any], wants_result: bool) -> Any:
    """Call ``call()`` inside the transaction ``opts`` asks for and return its value."""
    manager = opts.manager or get_manager()
    outer = CURRENT.get()
    frame = None if outer is None else outer.find(manager)
    prop = opts.propagation
    if frame is not None and frame.session is not None and not frame.is_async:
        if prop in _JOINING:
            return _join(opts, frame, call)
        if prop is Propagation.NESTED:
            return _savepoint(opts, manager, frame, outer, call, wants_result)
        if prop is Propagation.NOT_SUPPORTED:
            token = CURRENT.set(Frame(manager, None, outer, is_async=False))
            try:
                return call()
            finally:
                CURRENT.reset(token)
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
        return call()
    attempt = 1
    while True:
        try:
            return _attempt(opts, manager, outer, call, wants_result)
        except Retry as signal:
            if attempt > opts.retries:
                return report(
                    serialization_error(signal.cause, attempt), signal.cause, wants_result
                )
            time.sleep(backoff_delay(opts, attempt))
            attempt += 1


def _join(opts: TxOptions, frame: Frame, call: Callable[[], Any]) -> Any:
    try:
        result = call()
    except BaseException as exc:
        if opts.should_rollback(exc):
            frame.rollback_only = True
        raise
    if isinstance(result, Failure):
        frame.rollback_only = True
    return result


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
        if opts.should_rollback(exc) or is_fault(exc):
            _quietly(nested.rollback)
        else:
            nested.commit()
        raise
    CURRENT.reset(token)
    if isinstance(result, Failure) or inner.rollback_only:
        nested.rollback()
        if not isinstance(result, Failure):
            return report(rollback_only_error(), None, wants_result)
    else:
        nested.commit()
    return result


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
            millis = max(1, int(self.timeout * 1000))
            session.execute(text(f"SET LOCAL statement_timeout = {millis}"))

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
            if isinstance(result, Failure) or frame.rollback_only or opts.read_only:
                if query_only:
                    session.execute(text("PRAGMA query_only = OFF"))
                session.rollback()
            else:
                session.commit()
        except BaseException as exc:
            _after_error(session, opts, exc, phase, query_only, frame.rollback_only)
            if deadline is not None and deadline.expired() and phase != "commit":
                return report(timeout_error(opts), exc, wants_result)
            error = classify(exc, phase, opts)
            if error is None:
                raise
            return report(error, exc, wants_result)
    finally:
        CURRENT.reset(token)
        _quietly(session.close)
    if frame.rollback_only and not isinstance(result, Failure):
        return report(rollback_only_error(), None, wants_result)
    return result


def _begin(session: Session, opts: TxOptions, manager: TransactionManager) -> None:
    options: dict[str, Any] = {}
    if manager.is_sqlite:
        if opts.read_only:
            options["rfs_read_only"] = True
    else:
        if opts.isolation is not None:
            options["isolation_level"] = opts.isolation.value
        if opts.read_only and manager.dialect == "postgresql":
            options["postgresql_readonly"] = True
    session.connection(execution_options=options or None)
    if opts.read_only:
        if manager.is_sqlite:
            session.execute(text("PRAGMA query_only = ON"))
        elif manager.dialect != "postgresql":
            session.execute(text("SET TRANSACTION READ ONLY"))


def _after_error(
    session: Session,
    opts: TxOptions,
    exc: BaseException,
    phase: str,
    query_only: bool,
    rollback_only: bool,
) -> None:
    keep = (
        phase == "body"
        and not rollback_only
        and not opts.read_only
        and not opts.should_rollback(exc)
        and not is_fault(exc)
    )
    if keep:
        session.commit()
        return
    if query_only:
        try:
            session.execute(text("PRAGMA query_only = OFF"))
        except Exception:
            _quietly(lambda: session.connection().invalidate())
    _quietly(session.rollback)


def _quietly(action: Callable[[], Any]) -> None:
    with contextlib.suppress(Exception):  # the connection may already be gone
        action()
