"""Request scope: one set of request-scoped objects per open scope, kept in a contextvar."""

from __future__ import annotations

import contextvars
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rfs.di.bindings import Binding
from rfs.di.lifecycle import Closer, close_all, close_all_sync

if TYPE_CHECKING:
    import concurrent.futures

R = TypeVar("R")


class Activation(Generic[R]):
    """Sets a context variable to ``value`` for a ``with`` or ``async with`` block.

    ``registry.activate()`` is one: inside, ``current_registry()`` is that registry.
    """

    __slots__ = ("_token", "_value", "_var")

    def __init__(self, var: contextvars.ContextVar[R | None], value: R) -> None:
        self._var = var
        self._value = value
        self._token: contextvars.Token[R | None] | None = None

    def __enter__(self) -> R:
        self._token = self._var.set(self._value)
        return self._value

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            self._var.reset(self._token)
            self._token = None

    async def __aenter__(self) -> R:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__()


class RequestScope:
    """``async with registry.request_scope():`` (or plain ``with`` in sync code).

    Request-scoped objects resolved inside are shared within the scope (``values``) and closed
    (``on_stop``, context-manager exit, generator teardown) in reverse creation order when it
    exits. The owning registry is the active one inside (``current_registry()``).
    """

    __slots__ = ("_active", "_owner", "_tokens", "_var", "closers", "inflight", "lock", "values")

    def __init__(
        self,
        var: contextvars.ContextVar[RequestScope | None],
        active: contextvars.ContextVar[Any],
        owner: object,
    ) -> None:
        self._var = var
        self._active = active
        self._owner = owner
        self._tokens: tuple[contextvars.Token[Any], contextvars.Token[Any]] | None = None
        self.values: dict[Binding, Any] = {}
        self.closers: list[Closer] = []
        self.lock = threading.RLock()
        self.inflight: dict[Binding, concurrent.futures.Future[Any]] = {}

    def _open(self) -> RequestScope:
        self._tokens = (self._var.set(self), self._active.set(self._owner))
        return self

    def _release(self) -> list[Closer] | None:
        tokens = self._tokens
        if tokens is not None:
            self._tokens = None
            self._active.reset(tokens[1])
            self._var.reset(tokens[0])
        if not self.closers:
            self.values.clear()
            return None
        return self.closers

    async def __aenter__(self) -> RequestScope:
        return self._open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        closers = self._release()
        if closers is not None:
            errors = await close_all(closers)
            self._closed(errors)

    def __enter__(self) -> RequestScope:
        return self._open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        closers = self._release()
        if closers is not None:
            self._closed(close_all_sync(closers, "request scope"))

    def _closed(self, errors: list[Exception]) -> None:
        self.values.clear()
        if errors:
            raise ExceptionGroup("errors while closing request-scoped objects", errors)
