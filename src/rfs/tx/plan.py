"""Decisions shared by the async and sync runners: propagation route, begin options, commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import TextClause, text

from rfs.result import Failure
from rfs.tx.context import CURRENT, Frame
from rfs.tx.errors import IllegalTransactionStateError, TransactionError
from rfs.tx.options import Propagation, TxOptions
from rfs.tx.outcome import (
    Retry,
    classify,
    is_fault,
    report,
    rollback_only_error,
    serialization_error,
    timeout_error,
)

if TYPE_CHECKING:
    from rfs.tx.manager import TransactionManager

__all__ = [
    "QUERY_ONLY_OFF",
    "QUERY_ONLY_ON",
    "Route",
    "begin_options",
    "error_for",
    "gave_up",
    "joined",
    "keeps_work",
    "read_only_statement",
    "rolls_back",
    "route",
    "settle",
    "statement_timeout",
    "suspended",
    "undoes",
]

Route = Literal["join", "savepoint", "suspend", "bare", "new"]

_JOINING = (Propagation.REQUIRED, Propagation.SUPPORTS, Propagation.MANDATORY)
_WITHOUT = (Propagation.NEVER, Propagation.SUPPORTS, Propagation.NOT_SUPPORTED)
QUERY_ONLY_ON = text("PRAGMA query_only = ON")
QUERY_ONLY_OFF = text("PRAGMA query_only = OFF")
_READ_ONLY = text("SET TRANSACTION READ ONLY")


def route(opts: TxOptions, frame: Frame | None, *, is_async: bool) -> Route:
    """How to run under ``opts.propagation`` given the manager's active ``frame`` (if any)."""
    prop = opts.propagation
    if frame is not None and frame.session is not None and frame.is_async is is_async:
        if prop in _JOINING:
            return "join"
        if prop is Propagation.NESTED:
            return "savepoint"
        if prop is Propagation.NOT_SUPPORTED:
            return "suspend"
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
        return "bare"
    return "new"


@contextmanager
def joined(opts: TxOptions, frame: Frame) -> Iterator[Callable[[Any], Any]]:
    """Join ``frame``'s transaction: a raise (that rolls back) or a Failure marks it rollback-only.

    Used as ``with joined(opts, frame) as done: return done(call())``.
    """

    def done(result: Any) -> Any:
        if isinstance(result, Failure):
            frame.rollback_only = True
        return result

    try:
        yield done
    except BaseException as exc:
        if opts.should_rollback(exc):
            frame.rollback_only = True
        raise


@contextmanager
def suspended(
    manager: TransactionManager, outer: Frame | None, *, is_async: bool
) -> Iterator[None]:
    """Hide the manager's transaction for the block (NOT_SUPPORTED)."""
    token = CURRENT.set(Frame(manager, None, outer, is_async=is_async))
    try:
        yield
    finally:
        CURRENT.reset(token)


def undoes(opts: TxOptions, exc: BaseException) -> bool:
    """Whether ``exc`` raised by the body rolls its work back (a rule says so, or a fault)."""
    return opts.should_rollback(exc) or is_fault(exc)


def rolls_back(result: Any, frame: Frame) -> bool:
    """Whether a returned ``result`` ends the frame's transaction in a rollback."""
    return isinstance(result, Failure) or frame.rollback_only


def settle(result: Any, frame: Frame, wants_result: bool) -> Any:
    """``result``, unless a joined call forced a rollback behind a non-Failure result."""
    if frame.rollback_only and not isinstance(result, Failure):
        return report(rollback_only_error(), None, wants_result)
    return result


def keeps_work(opts: TxOptions, exc: BaseException, phase: str, rollback_only: bool) -> bool:
    """Whether the body's ``exc`` still commits (a ``no_rollback_for`` rule matched)."""
    return phase == "body" and not rollback_only and not opts.read_only and not undoes(opts, exc)


def error_for(
    exc: BaseException, phase: str, opts: TxOptions, expired: bool
) -> TransactionError | None:
    """The error to report for ``exc`` (None: re-raise it); raises ``Retry`` to try again."""
    if expired and phase != "commit" and isinstance(exc, Exception):
        return timeout_error(opts)
    return classify(exc, phase, opts)


def gave_up(signal: Retry, attempts: int, wants_result: bool) -> Any:
    """Report the serialization failure that outlasted every retry."""
    return report(serialization_error(signal.cause, attempts), signal.cause, wants_result)


def begin_options(opts: TxOptions, manager: TransactionManager) -> dict[str, Any] | None:
    """The connection's execution options for the isolation level and read-only mode."""
    options: dict[str, Any] = {}
    if manager.is_sqlite:
        if opts.read_only:
            options["rfs_read_only"] = True
    else:
        if opts.isolation is not None:
            options["isolation_level"] = opts.isolation.value
        if opts.read_only and manager.dialect == "postgresql":
            options["postgresql_readonly"] = True
    return options or None


def read_only_statement(opts: TxOptions, manager: TransactionManager) -> TextClause | None:
    """The statement that makes a read-only transaction read-only, if the dialect needs one."""
    if not opts.read_only or manager.dialect == "postgresql":
        return None
    return QUERY_ONLY_ON if manager.is_sqlite else _READ_ONLY


def statement_timeout(seconds: float) -> TextClause:
    """``SET LOCAL statement_timeout`` for PostgreSQL, so the server cancels as well."""
    return text(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")
