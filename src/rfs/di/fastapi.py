"""FastAPI / ASGI integration: a request scope per request, ``Provide`` and a lifespan.

Imported only when used (``import rfs.di`` never imports FastAPI)::

    app = FastAPI(lifespan=lifespan(registry))
    install(app, registry)              # request scope per HTTP/WebSocket request

    @app.post("/orders")
    async def place(body: dict, ctl: OrderController = Provide(OrderController)): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from rfs._require import require
from rfs.di.registry import Registry

require("web", "fastapi", "rfs.di.fastapi")
from fastapi import Depends, FastAPI, Request  # noqa: E402

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

STATE_KEY = "rfs_registry"


class RequestScopeMiddleware:
    """Pure ASGI middleware opening ``registry.request_scope()`` around each request.

    Request-scoped objects are shared by every dependency of one request (also in sync
    endpoints, which run in threads with a copy of the context) and closed after the response.
    """

    def __init__(self, app: ASGIApp, registry: Registry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        async with self.registry.request_scope():
            await self.app(scope, receive, send)


def install(app: FastAPI, registry: Registry) -> None:
    """Add :class:`RequestScopeMiddleware` and remember ``registry`` for :func:`Provide`."""
    setattr(app.state, STATE_KEY, registry)
    app.add_middleware(RequestScopeMiddleware, registry=registry)


def _registry_of(request: Request) -> Registry:
    registry = getattr(request.app.state, STATE_KEY, None)
    if not isinstance(registry, Registry):
        raise RuntimeError(
            "no rfs.di registry on this app; call rfs.di.fastapi.install(app, registry) "
            "or pass registry= to Provide(...)"
        )
    return registry


def Provide(key: Any, registry: Registry | None = None) -> Any:
    """A FastAPI dependency resolving ``key`` (awaiting async factories) from the registry."""
    if registry is not None:
        fixed = registry

        async def from_fixed() -> Any:
            return await fixed.aresolve(key)

        return Depends(from_fixed)

    async def from_app(request: Request) -> Any:
        return await _registry_of(request).aresolve(key)

    return Depends(from_app)


def lifespan(registry: Registry) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A FastAPI ``lifespan``: ``await registry.start()`` before serving, shutdown after."""

    @asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        await registry.start()
        try:
            yield
        finally:
            await registry.shutdown()

    return run
