"""Request scope: one set of request-scoped objects per open scope, kept in a contextvar."""

from __future__ import annotations

import contextvars
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rfs.di.bindings import Binding
from rfs.di.lifecycle import Closer, close_all, close_all_sync

if TYPE_CHECKING:
    import concurrent.futures


class RequestContext:
    """The objects of one request scope and the closers to run when it ends."""

    __slots__ = ("closers", "inflight", "lock", "values")

    def __init__(self) -> None:
        self.values: dict[Binding, Any] = {}
        self.closers: list[Closer] = []
        self.lock = threading.RLock()
        self.inflight: dict[Binding, concurrent.futures.Future[Any]] = {}


class RequestScope:
    """``async with registry.request_scope():`` (or plain ``with`` in sync code).

    Request-scoped objects resolved inside are shared within the scope and closed (``on_stop``,
    context-manager exit, generator teardown) in reverse creation order when it exits.
    """

    __slots__ = ("_context", "_token", "_var")

    def __init__(self, var: contextvars.ContextVar[RequestContext | None]) -> None:
        self._var = var
        self._context = RequestContext()
        self._token: contextvars.Token[RequestContext | None] | None = None

    @property
    def context(self) -> RequestContext:
        """The request's own storage."""
        return self._context

    def _open(self) -> RequestContext:
        self._token = self._var.set(self._context)
        return self._context

    def _release(self) -> None:
        if self._token is not None:
            self._var.reset(self._token)
            self._token = None

    async def __aenter__(self) -> RequestContext:
        return self._open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()
        if not self._context.closers:
            self._context.values.clear()
            return
        errors = await close_all(self._context.closers)
        self._context.values.clear()
        if errors:
            raise ExceptionGroup("errors while closing request-scoped objects", errors)

    def __enter__(self) -> RequestContext:
        return self._open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()
        if not self._context.closers:
            self._context.values.clear()
            return
        errors = close_all_sync(self._context.closers, "request scope")
        self._context.values.clear()
        if errors:
            raise ExceptionGroup("errors while closing request-scoped objects", errors)
