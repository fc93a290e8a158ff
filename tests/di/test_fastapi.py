"""FastAPI integration: request scope isolation through the middleware, over a real ASGI client."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from fastapi import Depends, FastAPI

from rfs.di import Component, Registry
from rfs.di.fastapi import Provide, RequestScopeMiddleware, install, lifespan


def build() -> tuple[FastAPI, Registry, list[str], asyncio.Barrier]:
    registry = Registry()
    closed: list[str] = []
    ids = itertools.count(1)
    both_in_flight = asyncio.Barrier(2)

    @Component(scope="request", registry=registry)
    class RequestContext:
        def __init__(self) -> None:
            self.id = f"req-{next(ids)}"

        async def on_stop(self) -> None:
            closed.append(self.id)

    @Component(scope="prototype", registry=registry)
    class Audit:
        def __init__(self, ctx: RequestContext) -> None:
            self.ctx = ctx

    @Component(registry=registry)
    class Settings:
        greeting = "hi"

    app = FastAPI(lifespan=lifespan(registry))
    install(app, registry)

    @app.get("/ctx")
    async def ctx(
        audit: Audit = Provide(Audit),
        direct: RequestContext = Provide(RequestContext),
        settings: Settings = Provide(Settings, registry),
    ) -> dict[str, object]:
        await both_in_flight.wait()  # both requests are inside their scopes now
        again = await registry.aresolve(RequestContext)
        return {
            "id": direct.id,
            "same": audit.ctx is direct is again,
            "greeting": settings.greeting,
        }

    def sync_ctx_id() -> str:
        return registry.resolve(RequestContext).id

    @app.get("/sync")
    def sync_endpoint(
        dep_id: str = Depends(sync_ctx_id), direct: RequestContext = Provide(RequestContext)
    ) -> dict[str, object]:
        return {"same": dep_id == direct.id == registry.resolve(RequestContext).id}

    return app, registry, closed, both_in_flight


async def test_concurrent_requests_get_isolated_request_objects() -> None:
    """Two overlapping requests each share one object across their dependencies, not each other."""
    app, _registry, closed, _barrier = build()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        first, second = await asyncio.gather(client.get("/ctx"), client.get("/ctx"))
    bodies = [first.json(), second.json()]
    assert all(b["same"] and b["greeting"] == "hi" for b in bodies)
    assert bodies[0]["id"] != bodies[1]["id"]
    assert sorted(closed) == sorted(b["id"] for b in bodies)


async def test_sync_endpoints_and_dependencies_share_the_request_object() -> None:
    """Sync dependencies run in worker threads yet see the request's objects."""
    app, _registry, closed, _barrier = build()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/sync")
    assert response.json() == {"same": True}
    assert len(closed) == 1


async def test_lifespan_starts_and_shuts_down_the_registry() -> None:
    """The lifespan helper creates singletons at startup and closes them at shutdown."""
    registry = Registry()
    events: list[str] = []

    @Component(registry=registry)
    class Pool:
        async def on_start(self) -> None:
            events.append("start")

        async def on_stop(self) -> None:
            events.append("stop")

    app = FastAPI(lifespan=lifespan(registry))
    async with app.router.lifespan_context(app):
        assert events == ["start"]
    assert events == ["start", "stop"]


async def test_provide_without_install_explains_the_fix() -> None:
    """Provide(key) needs the registry installed on the app; the error says so."""
    app = FastAPI()
    app.add_middleware(RequestScopeMiddleware, registry=Registry())

    @app.get("/")
    async def index(x: object = Provide(object)) -> None: ...

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with pytest.raises(RuntimeError, match=r"install\(app, registry\)"):
            await client.get("/")
