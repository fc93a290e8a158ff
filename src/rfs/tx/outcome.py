"""Shared by the async and sync runners: classifying a failed attempt and reporting it."""

from __future__ import annotations

import random
from typing import Any, NoReturn

from rfs.result import Failure
from rfs.tx.errors import (
    ConnectionLostError,
    SerializationError,
    TransactionError,
    TransactionTimeoutError,
    UnexpectedRollbackError,
)
from rfs.tx.faults import is_disconnect, is_retryable, is_timeout, sqlstate
from rfs.tx.options import TxOptions

__all__ = [
    "Retry",
    "backoff_delay",
    "classify",
    "is_fault",
    "report",
    "rollback_only_error",
    "serialization_error",
    "timeout_error",
]


class Retry(Exception):
    """Internal signal: the attempt hit a serialization failure or deadlock and may run again."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def timeout_error(opts: TxOptions) -> TransactionTimeoutError:
    return TransactionTimeoutError(
        f"transaction exceeded its timeout of {opts.timeout}s: the statement was cancelled "
        "and the transaction rolled back"
    )


def classify(exc: BaseException, phase: str, opts: TxOptions) -> TransactionError | None:
    """The ``TransactionError`` that ``exc`` stands for, None for the caller's own exceptions.

    Raises ``Retry`` for serialization failures and deadlocks. ``phase`` is where it
    happened: "begin", "body" or "commit".
    """
    if not isinstance(exc, Exception):
        return None
    if is_retryable(exc):
        raise Retry(exc) from exc
    if is_timeout(exc):
        return timeout_error(opts)
    if is_disconnect(exc):
        if phase == "commit":
            message = "database connection lost during COMMIT: the outcome is unknown"
        else:
            message = f"database connection failed or dropped ({phase}): rolled back"
        return ConnectionLostError(f"{message}: {_short(exc)}")
    return None


def is_fault(exc: BaseException) -> bool:
    """Whether ``exc`` is a database fault (retryable, timeout, lost connection)."""
    try:
        return classify(exc, "body", _DEFAULTS) is not None
    except Retry:
        return True


_DEFAULTS = TxOptions()


def rollback_only_error() -> UnexpectedRollbackError:
    return UnexpectedRollbackError(
        "a call that joined this transaction failed (raised or returned a Failure), "
        "so the transaction was rolled back instead of committed"
    )


def serialization_error(cause: BaseException, attempts: int) -> SerializationError:
    kind = "database busy" if sqlstate(cause) is None else "serialization failure or deadlock"
    return SerializationError(
        f"{kind} after {attempts} attempt(s), rolled back (raise retries= to try more): "
        f"{_short(cause)}",
        attempts=attempts,
    )


def report(error: TransactionError, cause: BaseException | None, wants_result: bool) -> Any:
    """``Failure(error)`` for functions returning a Result, else raise ``error``."""
    error.__cause__ = cause
    if wants_result:
        return Failure(error)
    _raise(error)


def _raise(error: TransactionError) -> NoReturn:
    raise error


def backoff_delay(opts: TxOptions, attempt: int) -> float:
    """Exponential backoff with full jitter before retry number ``attempt`` (1-based)."""
    ceiling = min(opts.max_backoff, opts.backoff * 2.0 ** (attempt - 1))
    return ceiling * (0.5 + random.random() / 2)  # nosec B311 # backoff jitter (not for security)


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
