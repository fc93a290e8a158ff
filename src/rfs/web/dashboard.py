"""The operations dashboard: one page and its assets (shipped in the package, no CDN).

``mount_dashboard(app, ...)`` adds the ops API under ``/ops`` and the page under ``/ui``;
``create_app(...)`` is a whole app for ``rfs ui``. The page polls the ops API, so it only
needs the bearer token, passed once as ``/ui/#token=...`` (kept in ``sessionStorage``).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import RedirectResponse, Response

from rfs.web.ops import ops_router
from rfs.web.routing import install

__all__ = ["create_app", "dashboard_router", "mount_dashboard"]

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}
_SECURITY = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _read(name: str) -> bytes:
    path = resources.files("rfs.web") / "static" / name
    if "/" in name or "\\" in name or not path.is_file():
        raise HTTPException(status_code=404, detail="no such asset")
    return path.read_bytes()


def _asset(name: str) -> Response:
    kind = next((t for ext, t in _TYPES.items() if name.endswith(ext)), None)
    if kind is None:
        raise HTTPException(status_code=404, detail="no such asset")
    return Response(_read(name), media_type=kind, headers=_SECURITY)


def dashboard_router(api_prefix: str = "/ops") -> APIRouter:
    """``GET /`` (the page) and ``GET /static/{name}`` (its script and style sheet)."""
    router = APIRouter(tags=["dashboard"], include_in_schema=False)
    page = _read("index.html").replace(b"{{API}}", api_prefix.encode())

    @router.get("/")
    async def index() -> Response:
        return Response(page, media_type=_TYPES[".html"], headers=_SECURITY)

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        return _asset(name)

    return router


def mount_dashboard(
    app: FastAPI, *, token: str | None, prefix: str = "/ui", api_prefix: str = "/ops", **ops: Any
) -> FastAPI:
    """Add the ops API (``ops_router(token=token, **ops)``) and the dashboard page to ``app``."""
    install(app)
    app.include_router(ops_router(token=token, **ops), prefix=api_prefix)
    app.include_router(dashboard_router(api_prefix), prefix=prefix)
    return app


def create_app(*, token: str | None, **ops: Any) -> FastAPI:
    """A FastAPI app serving only the dashboard (``/`` redirects to ``/ui/``).

    The monitoring endpoints are on unless ``monitoring=False``.
    """
    ops.setdefault("monitoring", True)
    app = FastAPI(title="RFS operations", docs_url="/ops/docs", openapi_url="/ops/openapi.json")

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    return mount_dashboard(app, token=token, **ops)
