"""Correlation id and current operation, in contextvars (so they follow asyncio tasks and threads
started with ``contextvars.copy_context``). Standard library only: every subsystem may import it."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import TracebackType

_correlation: ContextVar[str | None] = ContextVar("rfs_correlation_id", default=None)
_operation: ContextVar[str | None] = ContextVar("rfs_operation", default=None)

#: Header / metadata key carrying the correlation id across processes (events, task attempts).
CORRELATION_HEADER = "x-correlation-id"


_prefix = secrets.token_hex(8)
_counter = itertools.count(1)


def _reseed() -> None:
    global _prefix, _counter
    _prefix = secrets.token_hex(8)
    _counter = itertools.count(1)


os.register_at_fork(after_in_child=_reseed)  # a forked worker never repeats its parent's ids


def new_correlation_id() -> str:
    """A fresh id: a random per-process prefix and a counter (unique, and cheap on hot paths)."""
    return f"{_prefix}{next(_counter):08x}"


def current_correlation_id() -> str | None:
    """The id of the current context, or None when none was set (never creates one)."""
    return _correlation.get()


def get_correlation_id() -> str:
    """The id of the current context; creates and sets one when none is set (as RFS v4 did)."""
    cid = _correlation.get()
    if cid is None:
        cid = new_correlation_id()
        _correlation.set(cid)
    return cid


def set_correlation_id(correlation_id: str) -> Token[str | None]:
    """Set the id for the current context; pass the token to ``reset_correlation_id``."""
    if not isinstance(correlation_id, str) or not correlation_id:
        raise ValueError(f"a correlation id is a non-empty str, got {correlation_id!r}")
    return _correlation.set(correlation_id)


def bind_correlation_id(correlation_id: str | None) -> Token[str | None]:
    """Set the id (or no id, with None) for the current context, e.g. a worker about to run
    work submitted elsewhere; reset with ``reset_correlation_id``."""
    return _correlation.set(correlation_id or None)


def reset_correlation_id(token: Token[str | None]) -> None:
    """Restore the id that was current before ``set_correlation_id`` returned ``token``."""
    _correlation.reset(token)


@contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    """Run a block under ``correlation_id`` (a new one when None, the current one is kept when
    ``correlation_id`` is None and one is already set)."""
    cid = correlation_id or _correlation.get() or new_correlation_id()
    token = _correlation.set(cid)
    try:
        yield cid
    finally:
        _correlation.reset(token)


def current_operation() -> str | None:
    """The name of the innermost ``@log_result_operation`` running in this context."""
    return _operation.get()


def set_operation(name: str | None) -> Token[str | None]:
    """Mark ``name`` as the current operation (used by the decorator); reset with the token."""
    return _operation.set(name)


def reset_operation(token: Token[str | None]) -> None:
    """Restore the operation current before ``set_operation``."""
    _operation.reset(token)


def correlation_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """``headers`` plus the current correlation id (when one is set and the key is absent)."""
    out = dict(headers) if headers else {}
    cid = _correlation.get()
    if cid is not None:
        out.setdefault(CORRELATION_HEADER, cid)
    return out


class CorrelationContext:
    """RFS v4's context manager: ``with CorrelationContext("abc") as cid: ...`` (``async with``
    too, as v4's guide writes it)."""

    def __init__(self, correlation_id: str | None = None) -> None:
        self.correlation_id = correlation_id or new_correlation_id()
        self._token: Token[str | None] | None = None

    def __enter__(self) -> str:
        self._token = _correlation.set(self.correlation_id)
        return self.correlation_id

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _correlation.reset(self._token)
            self._token = None

    async def __aenter__(self) -> str:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def with_correlation_id(correlation_id: str) -> CorrelationContext:
    """RFS v4 helper: a ``CorrelationContext`` for ``correlation_id``."""
    return CorrelationContext(correlation_id)
