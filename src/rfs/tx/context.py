"""The active transaction of the current task, carried in a contextvar (``current_session``)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from rfs.tx.errors import NoTransactionError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from rfs.tx.manager import TransactionManager

__all__ = [
    "Frame",
    "current_session",
    "current_session_or_none",
    "current_sync_session",
    "in_transaction",
]


class Frame:
    """One level of transactional context: a manager's session (None when suspended).

    ``doomed`` is shared by every call that joined the transaction, so an inner failure
    turns the outer commit into a rollback; it holds the first failed call's name and what it
    returned or raised, for the ``UnexpectedRollbackError`` message.
    """

    __slots__ = ("doomed", "is_async", "manager", "parent", "session")

    def __init__(
        self,
        manager: TransactionManager,
        session: Any,
        parent: Frame | None,
        *,
        is_async: bool = True,
    ) -> None:
        self.manager = manager
        self.session = session
        self.parent = parent
        self.is_async = is_async
        self.doomed: tuple[str, object] | None = None

    def doom(self, call: str, failure: object) -> None:
        """Mark the transaction rollback-only because ``call`` failed (the first one is kept)."""
        if self.doomed is None:
            self.doomed = (call, failure)

    def find(self, manager: TransactionManager) -> Frame | None:
        """The innermost frame of ``manager`` from here outwards."""
        frame: Frame | None = self
        while frame is not None:
            if frame.manager is manager:
                return frame
            frame = frame.parent
        return None


CURRENT: ContextVar[Frame | None] = ContextVar("rfs_tx_frame", default=None)


def _frame(manager: TransactionManager | None) -> Frame | None:
    frame = CURRENT.get()
    if frame is None or manager is None:
        return frame
    return frame.find(manager)


def current_session_or_none(manager: TransactionManager | None = None) -> Any:
    """The session of the innermost active transaction (of ``manager`` if given), or None."""
    frame = _frame(manager)
    return None if frame is None else frame.session


def in_transaction(manager: TransactionManager | None = None) -> bool:
    """Whether a transaction (of ``manager`` if given) is active in this context."""
    return current_session_or_none(manager) is not None


def current_session(manager: TransactionManager | None = None) -> AsyncSession:
    """The ``AsyncSession`` of the innermost ``@Transactional`` call active in this task.

    Repositories call this instead of taking a session argument. Raises
    ``NoTransactionError`` outside a transaction (a programming error: decorate the caller).
    """
    frame = _frame(manager)
    if frame is None or frame.session is None or not frame.is_async:
        raise NoTransactionError(_missing("current_session", "async", frame))
    session: AsyncSession = frame.session
    return session


def current_sync_session(manager: TransactionManager | None = None) -> Session:
    """The sync ``Session`` of the innermost ``@Transactional`` sync function in this thread."""
    frame = _frame(manager)
    if frame is None or frame.session is None or frame.is_async:
        raise NoTransactionError(_missing("current_sync_session", "sync", frame))
    session: Session = frame.session
    return session


def _missing(name: str, kind: str, frame: Frame | None) -> str:
    if frame is not None and frame.session is not None:
        other, here = (
            ("current_sync_session", "sync") if kind == "async" else ("current_session", "async")
        )
        return f"{name}() called inside a {here} transaction; use {other}()"
    return (
        f"{name}() called outside a transaction: decorate the calling {kind} function with "
        "@Transactional (propagation NEVER/NOT_SUPPORTED/SUPPORTS run without one)"
    )
