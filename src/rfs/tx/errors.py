"""Transaction errors: expected failures (returned in a Failure or raised) and misuse errors."""

from __future__ import annotations

from typing import Any, NoReturn

from rfs.result import Failure

__all__ = [
    "ConnectionLostError",
    "IllegalTransactionStateError",
    "NoTransactionError",
    "SerializationError",
    "TransactionError",
    "TransactionTimeoutError",
    "UnexpectedRollbackError",
    "WatchConflictError",
    "report",
]


class TransactionError(Exception):
    """A transaction could not complete; it was rolled back and nothing was written.

    A function whose return annotation is a ``Result`` receives these as ``Failure(error)``;
    other functions see them raised. ``code`` names the kind, ``attempts`` how many times the
    transaction ran, ``__cause__`` holds the driver's exception when there is one.
    """

    code = "transaction"

    def __init__(self, message: str, *, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.attempts = attempts

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, TransactionError)
            and other.message == self.message
        )

    def __hash__(self) -> int:
        return hash((type(self), self.message))


class TransactionTimeoutError(TransactionError):
    """The transaction ran past its ``timeout``: the statement was cancelled, all rolled back."""

    code = "timeout"


class SerializationError(TransactionError):
    """Serialization failures, deadlocks (SQLSTATE 40001/40P01) or a busy SQLite database
    outlasted every retry."""

    code = "serialization"


class ConnectionLostError(TransactionError):
    """The database connection failed or dropped mid-transaction; the transaction is void."""

    code = "connection"


class UnexpectedRollbackError(TransactionError):
    """An inner call that joined the transaction failed, so the outer commit became a rollback.

    ``call`` names the joined call that failed first; ``failure`` is what it returned (the
    ``Failure``) or raised (the exception).
    """

    code = "rollback_only"

    def __init__(
        self, message: str, *, attempts: int = 1, call: str | None = None, failure: object = None
    ) -> None:
        super().__init__(message, attempts=attempts)
        self.call = call
        self.failure = failure


class WatchConflictError(TransactionError):
    """A watched Redis key kept changing under the transaction until retries ran out."""

    code = "watch_conflict"


class IllegalTransactionStateError(RuntimeError):
    """Misuse: MANDATORY without a transaction, NEVER inside one, or a wrong session kind."""


class NoTransactionError(IllegalTransactionStateError):
    """``current_session()`` was called where no ``@Transactional`` call is active."""


def report(error: TransactionError, cause: BaseException | None, wants_result: bool) -> Any:
    """``Failure(error)`` for functions returning a Result, else raise ``error``."""
    error.__cause__ = cause
    if wants_result:
        return Failure(error)
    _raise(error)


def _raise(error: TransactionError) -> NoReturn:
    raise error
