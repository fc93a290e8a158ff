"""Classify driver exceptions: retryable conflicts, timeouts and lost connections."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["RETRYABLE_SQLSTATES", "is_disconnect", "is_retryable", "is_timeout", "sqlstate"]

#: serialization_failure and deadlock_detected
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
#: query_canceled (statement_timeout) and lock_not_available (lock_timeout)
TIMEOUT_SQLSTATES = frozenset({"57014", "55P03"})
#: admin_shutdown, crash_shutdown, cannot_connect_now (pg_terminate_backend sends 57P01)
DISCONNECT_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, the DBAPI error it wraps (``.orig``), and its causes, each once."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        orig = getattr(item, "orig", None)
        todo.extend(
            [orig if isinstance(orig, BaseException) else None, item.__cause__, item.__context__]
        )


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE code carried by ``exc`` or what it wraps (asyncpg, psycopg), if any."""
    for item in _chain(exc):
        for attr in ("sqlstate", "pgcode"):
            code = getattr(item, attr, None)
            if isinstance(code, str) and len(code) == 5:
                return code
    return None


def _sqlite_busy(exc: BaseException) -> bool:
    for item in _chain(exc):
        name = getattr(item, "sqlite_errorname", None)
        if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "database is locked" in str(item):
            return True
    return False


def is_retryable(exc: BaseException) -> bool:
    """A serialization failure or deadlock (40001/40P01), or SQLite reporting a busy database."""
    return sqlstate(exc) in RETRYABLE_SQLSTATES or _sqlite_busy(exc)


def is_timeout(exc: BaseException) -> bool:
    """The server cancelled the statement for a timeout (57014) or a lock wait (55P03)."""
    return sqlstate(exc) in TIMEOUT_SQLSTATES


def is_disconnect(exc: BaseException) -> bool:
    """The connection failed or was closed under the transaction (SQLSTATE class 08, 57P0x)."""
    code = sqlstate(exc)
    if code is not None and (code.startswith("08") or code in DISCONNECT_SQLSTATES):
        return True
    wrapped = False
    for item in _chain(exc):
        if hasattr(item, "connection_invalidated"):  # a SQLAlchemy DBAPIError
            if item.connection_invalidated:
                return True
            wrapped = True
    if not (wrapped or _raised_by_sqlalchemy(exc)):
        return False  # the caller's own network errors are not the database's
    return any(_lost(item) for item in _chain(exc))


def _raised_by_sqlalchemy(exc: BaseException) -> bool:
    """Whether ``exc`` passed through SQLAlchemy (asyncpg's connect errors arrive unwrapped)."""
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("sqlalchemy."):
            return True
        tb = tb.tb_next
    return False


def _lost(item: BaseException) -> bool:
    if type(item).__name__ == "ConnectionDoesNotExistError":
        return True
    return isinstance(item, (ConnectionError, OSError)) and not isinstance(item, TimeoutError)
