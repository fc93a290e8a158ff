"""The one transaction runner: every ``@Transactional`` decision, for async and sync code.

Propagation, savepoints, begin options, the deadline, commit or rollback, the error a failed
attempt stands for and the retries with backoff are written once, as a coroutine over a
:class:`~rfs.tx.drivers.Driver`. ``run_async`` awaits it with the async driver; ``run_sync``
drives it with the sync driver, whose operations never suspend, so it completes on its first
``send(None)``. Sync and async differ only in their I/O.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal

from sqlalchemy import TextClause, text

from rfs._backoff import retry_delay
from rfs.monitoring import hook
from rfs.result import Failure
from rfs.tx.context import CURRENT, Frame
from rfs.tx.drivers import ASYNC, SYNC, Driver
from rfs.tx.errors import (
    ConnectionLostError,
    IllegalTransactionStateError,
    SerializationError,
    TransactionError,
    TransactionTimeoutError,
    UnexpectedRollbackError,
    report,
)
from rfs.tx.faults import is_disconnect, is_retryable, is_timeout, sqlstate
from rfs.tx.manager import TransactionManager, manager_for
from rfs.tx.options import Propagation, TxFunction, TxOptions

__all__ = ["backoff_delay", "run_async", "run_sync"]

Route = Literal["join", "savepoint", "suspend", "bare", "new"]
Phase = Literal["begin", "body", "commit"]

_JOINING = (Propagation.REQUIRED, Propagation.SUPPORTS, Propagation.MANDATORY)
_WITHOUT = (Propagation.NEVER, Propagation.SUPPORTS, Propagation.NOT_SUPPORTED)
QUERY_ONLY_ON = text("PRAGMA query_only = ON")
QUERY_ONLY_OFF = text("PRAGMA query_only = OFF")
_READ_ONLY = text("SET TRANSACTION READ ONLY")


async def run_async(fn: TxFunction, call: Callable[[], Awaitable[Any]]) -> Any:
    """Await ``call()`` inside the transaction ``fn`` asks for and return its value."""
    return await _run(fn, call, ASYNC)


def run_sync(fn: TxFunction, call: Callable[[], Any]) -> Any:
    """Call ``call()`` inside the transaction ``fn`` asks for and return its value."""
    steps: Coroutine[Any, Any, Any] = _run(fn, call, SYNC)
    try:
        steps.send(None)
    except StopIteration as done:
        return done.value
    steps.close()
    raise RuntimeError("rfs.tx: a sync transaction step suspended (a bug in the sync driver)")


class Retry(Exception):
    """Internal signal: the attempt hit a serialization failure or deadlock and may run again."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def _run(fn: TxFunction, call: Callable[[], Any], io: Driver) -> Any:
    opts = fn.opts
    manager = manager_for(opts.manager)
    outer = CURRENT.get()
    frame = None if outer is None else outer.find(manager)
    route = _route(opts, frame, io.is_async)
    if frame is not None:  # join, savepoint and suspend need the active transaction
        if route == "join":
            return await _join(fn, frame, call, io)
        if route == "savepoint":
            return await _savepoint(fn, manager, frame, outer, call, io)
        if route == "suspend":
            token = CURRENT.set(Frame(manager, None, outer, is_async=io.is_async))
            try:
                return await io.call(call)
            finally:
                CURRENT.reset(token)
    if route == "bare":
        return await io.call(call)
    attempt = 1
    while True:
        try:
            if hook.monitor is None:
                return await _attempt(fn, manager, outer, call, io)
            return await _observed(fn.name, _attempt(fn, manager, outer, call, io))
        except Retry as signal:
            if (mon := hook.monitor) is not None:
                mon.observe(f"tx.retry.{fn.name}", False, 0.0, signal.cause, "tx")
            if attempt > opts.retries:
                error = _serialization_error(signal.cause, attempt)
                return report(error, signal.cause, fn.wants_result)
            await io.sleep(backoff_delay(opts, attempt))
            attempt += 1


async def _observed(name: str, attempt: Coroutine[Any, Any, Any]) -> Any:
    """Await one attempt and report ``tx.<name>``: ok when it committed, else the Failure or
    exception it rolled back for (a retry is reported by the caller as ``tx.retry.<name>``)."""
    started = time.perf_counter()
    try:
        result = await attempt
    except Retry:
        raise
    except BaseException as exc:
        hook.report(f"tx.{name}", False, (time.perf_counter() - started) * 1000.0, exc, "tx")
        raise
    error = result.error if isinstance(result, Failure) else None
    ok = not isinstance(result, Failure)
    hook.report(f"tx.{name}", ok, (time.perf_counter() - started) * 1000.0, error, "tx")
    return result


def _route(opts: TxOptions, frame: Frame | None, is_async: bool) -> Route:
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


async def _join(fn: TxFunction, frame: Frame, call: Callable[[], Any], io: Driver) -> Any:
    """Join ``frame``'s transaction: a raise that rolls back, or a Failure, dooms it."""
    try:
        result = await io.call(call)
    except BaseException as exc:
        if fn.opts.should_rollback(exc):
            frame.doom(fn.name, exc)
        raise
    if isinstance(result, Failure):
        frame.doom(fn.name, result)
    return result


async def _savepoint(
    fn: TxFunction,
    manager: TransactionManager,
    frame: Frame,
    outer: Frame | None,
    call: Callable[[], Any],
    io: Driver,
) -> Any:
    """NESTED inside a transaction: a savepoint that rolls back alone on failure."""
    session = frame.session
    nested = await io.begin_nested(session)
    inner = Frame(manager, session, outer, is_async=io.is_async)
    token = CURRENT.set(inner)
    try:
        result = await io.call(call)
    except BaseException as exc:
        CURRENT.reset(token)
        if _undoes(fn.opts, exc):
            await _quietly(io.rollback(nested))
        else:
            await io.commit(nested)
        raise
    CURRENT.reset(token)
    if isinstance(result, Failure) or inner.doomed is not None:
        await io.rollback(nested)
    else:
        await io.commit(nested)
    return _settle(fn, result, inner)


async def _attempt(
    fn: TxFunction,
    manager: TransactionManager,
    outer: Frame | None,
    call: Callable[[], Any],
    io: Driver,
) -> Any:
    """One run of a new transaction: begin, call, then commit or roll back."""
    opts = fn.opts
    session = io.session(manager)
    frame = Frame(manager, session, outer, is_async=io.is_async)
    token = CURRENT.set(frame)
    phase: Phase = "begin"
    query_only = opts.read_only and manager.is_sqlite
    timeout = opts.timeout
    deadline = None if timeout is None else io.deadline(timeout, manager)
    try:
        try:
            if deadline is None:
                if opts.isolation is not None or opts.read_only:
                    await _begin(session, opts, manager, io)
                phase = "body"
                result = await io.call(call)
            else:
                async with deadline:
                    await _begin(session, opts, manager, io)
                    await deadline.arm(session)
                    if manager.dialect == "postgresql":  # the server cancels the statement too
                        await io.execute(session, _statement_timeout(timeout or 0.0))
                    phase = "body"
                    try:
                        result = await io.call(call)
                    finally:
                        deadline.disarm()
                    if deadline.expired():
                        raise TimeoutError("the transaction's deadline passed during its body")
            phase = "commit"
            if isinstance(result, Failure) or frame.doomed is not None or opts.read_only:
                if query_only:
                    await io.execute(session, QUERY_ONLY_OFF)
                await io.rollback(session)
            else:
                await io.commit(session)
        except BaseException as exc:
            await _after_error(session, opts, exc, phase, query_only, frame, io)
            expired = deadline is not None and deadline.expired()
            error = _error_for(exc, phase, opts, expired)
            if error is None:
                raise
            return report(error, exc, fn.wants_result)
    finally:
        CURRENT.reset(token)
        with contextlib.suppress(Exception):  # the connection may already be gone
            await io.close(session)
    return _settle(fn, result, frame)


async def _begin(session: Any, opts: TxOptions, manager: TransactionManager, io: Driver) -> None:
    """Start the transaction with its isolation level and read-only mode applied."""
    options: dict[str, Any] = {}
    statement: TextClause | None = None
    if manager.is_sqlite:
        if opts.read_only:
            options["rfs_read_only"] = True  # BEGIN instead of BEGIN IMMEDIATE
            statement = QUERY_ONLY_ON
    else:
        if opts.isolation is not None:
            options["isolation_level"] = opts.isolation.value
        if opts.read_only:
            if manager.dialect == "postgresql":
                options["postgresql_readonly"] = True
            else:
                statement = _READ_ONLY
    await io.begin(session, options or None)
    if statement is not None:
        await io.execute(session, statement)


def _statement_timeout(seconds: float) -> TextClause:
    """``SET LOCAL statement_timeout`` for PostgreSQL, so the server cancels as well."""
    return text(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}")


async def _after_error(
    session: Any,
    opts: TxOptions,
    exc: BaseException,
    phase: Phase,
    query_only: bool,
    frame: Frame,
    io: Driver,
) -> None:
    """Roll back after ``exc``, or commit when a ``no_rollback_for`` rule says so."""
    if phase == "body" and frame.doomed is None and not opts.read_only and not _undoes(opts, exc):
        await io.commit(session)
        return
    if query_only:
        try:
            await io.execute(session, QUERY_ONLY_OFF)
        except Exception:
            await _quietly(io.invalidate(session))
    await _quietly(io.rollback(session))


def _settle(fn: TxFunction, result: Any, frame: Frame) -> Any:
    """``result``, unless a joined call doomed the transaction behind a non-Failure result."""
    if frame.doomed is not None and not isinstance(result, Failure):
        return report(_unexpected_rollback(fn.name, *frame.doomed), None, fn.wants_result)
    return result


# -- what a failure stands for ---------------------------------------------------------------
def _undoes(opts: TxOptions, exc: BaseException) -> bool:
    """Whether ``exc`` raised by the body rolls its work back (a rule says so, or a fault)."""
    if opts.should_rollback(exc):
        return True
    try:
        return _classify(exc, "body", opts) is not None
    except Retry:
        return True


def _error_for(
    exc: BaseException, phase: Phase, opts: TxOptions, expired: bool
) -> TransactionError | None:
    """The error to report for ``exc`` (None: re-raise it); raises ``Retry`` to try again."""
    if expired and phase != "commit" and isinstance(exc, Exception):
        return _timeout_error(opts)
    return _classify(exc, phase, opts)


def _classify(exc: BaseException, phase: Phase, opts: TxOptions) -> TransactionError | None:
    """The ``TransactionError`` that ``exc`` stands for, None for the caller's own exceptions.

    Raises ``Retry`` for serialization failures and deadlocks.
    """
    if not isinstance(exc, Exception):
        return None
    if is_retryable(exc):
        raise Retry(exc) from exc
    if is_timeout(exc):
        return _timeout_error(opts)
    if is_disconnect(exc):
        if phase == "commit":
            message = "database connection lost during COMMIT: the outcome is unknown"
        else:
            message = f"database connection failed or dropped ({phase}): rolled back"
        return ConnectionLostError(f"{message}: {_short(exc)}")
    return None


def _timeout_error(opts: TxOptions) -> TransactionTimeoutError:
    return TransactionTimeoutError(
        f"transaction exceeded its timeout of {opts.timeout}s: the statement was cancelled "
        "and the transaction rolled back"
    )


def _serialization_error(cause: BaseException, attempts: int) -> SerializationError:
    kind = "database busy" if sqlstate(cause) is None else "serialization failure or deadlock"
    return SerializationError(
        f"{kind} after {attempts} attempt(s), rolled back (raise retries= to try more): "
        f"{_short(cause)}",
        attempts=attempts,
    )


def _unexpected_rollback(name: str, joined: str, failure: object) -> UnexpectedRollbackError:
    if isinstance(failure, Failure):
        what = f"returned {failure!r}"
    else:
        what = f"raised {type(failure).__name__}: {failure}"
    return UnexpectedRollbackError(
        f"{name}: the call {joined} joined this transaction and {what}, so the transaction "
        f"was rolled back instead of committed; fix: let {name} return (or raise) that "
        f"failure, or give {joined} propagation=NESTED so only its own savepoint rolls back",
        call=joined,
        failure=failure,
    )


def backoff_delay(opts: TxOptions, attempt: int) -> float:
    """Seconds before retry number ``attempt`` (1-based): exponential, with "equal jitter".

    The ceiling doubles from ``opts.backoff`` up to ``opts.max_backoff``; the delay is drawn
    uniformly from its upper half (0.5-1x), so retries spread out but never come back at once.
    """
    return retry_delay(attempt, opts.backoff, opts.max_backoff)


def _short(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


async def _quietly(awaitable: Awaitable[Any]) -> None:
    """Await cleanup whose own failure must not hide the error being reported."""
    with contextlib.suppress(Exception):  # the connection may already be gone
        await awaitable
