"""FastAPI integration: fire API triggers over HTTP, list, pause and resume (bearer-token auth).

Import this module only where FastAPI is installed (``pip install 'rfs[web]'``)::

    app.include_router(create_router(scheduler, token="admin-secret"))

``POST /triggers/{name}/fire`` accepts the trigger's own token (``create_api_trigger(token=...)``)
or the router's; the other endpoints need the router's token. Without a valid token the answer
is 401 and nothing fires.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rfs._require import require
from rfs.result import Failure, Result
from rfs.scheduler.scheduler import Scheduler, SchedulerError, TriggerInfo
from rfs.scheduler.triggers import APITrigger

require("web", "fastapi", "rfs.scheduler.api")
from fastapi import APIRouter, Body, FastAPI, HTTPException, Request, status  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

_STATUS = {"not_found": 404, "paused": 409, "not_api_trigger": 409, "fire_failed": 500}


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials.strip()


def _matches(given: str | None, expected: str | None) -> bool:
    if given is None or expected is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or invalid bearer token",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _problem(error: SchedulerError) -> JSONResponse:
    code = _STATUS.get(error.code, 400)
    return JSONResponse(
        status_code=code,
        content={"title": error.code, "status": code, "detail": error.message},
    )


def _not_found(name: str) -> JSONResponse:
    return _problem(SchedulerError("not_found", f"no trigger named {name!r}"))


def _info(outcome: Result[TriggerInfo, SchedulerError]) -> dict[str, Any] | JSONResponse:
    """The trigger after a pause or resume, or the problem that prevented it."""
    if isinstance(outcome, Failure):
        return _problem(outcome.error)
    return outcome.value.to_dict()


def create_router(scheduler: Scheduler, *, token: str | None = None) -> APIRouter:
    """Routes under ``/triggers``; ``token`` is the admin bearer token (None: API tokens only)."""
    if token is not None and len(token) < 8:
        raise ValueError("the router token must be at least 8 characters")
    router = APIRouter(tags=["scheduler"])

    def require_admin(request: Request) -> None:
        if not _matches(_bearer(request), token):
            raise _unauthorized()

    @router.get("/triggers")
    async def list_triggers(request: Request) -> list[dict[str, Any]]:
        """Every trigger with its next fire time."""
        require_admin(request)
        return [info.to_dict() for info in scheduler.list()]

    @router.get("/triggers/{name}", response_model=None)
    async def get_trigger(name: str, request: Request) -> dict[str, Any] | JSONResponse:
        """One trigger."""
        require_admin(request)
        info = scheduler.get(name)
        if info is None:
            return _not_found(name)
        return info.to_dict()

    @router.post("/triggers/{name}/fire", status_code=202, response_model=None)
    async def fire_trigger(
        name: str, request: Request, payload: Any = Body(default=None)
    ) -> dict[str, Any] | JSONResponse:
        """Fire an API trigger now; the JSON body is passed to its event factory."""
        given = _bearer(request)
        trigger = scheduler.trigger(name)
        own = trigger.token if isinstance(trigger, APITrigger) else None
        if not (_matches(given, own) or _matches(given, token)):
            raise _unauthorized()
        if trigger is None:
            return _not_found(name)
        if not isinstance(trigger, APITrigger):
            detail = f"trigger {name!r} is a {trigger.kind} trigger, not an API trigger"
            return _problem(SchedulerError("not_api_trigger", detail))
        outcome = await scheduler.fire(name, payload)
        if isinstance(outcome, Failure):
            return _problem(outcome.error)
        context = outcome.value
        return {
            "trigger": name,
            "fire_id": context.fire_id,
            "fired_at": context.fired_at.isoformat(),
        }

    @router.post("/triggers/{name}/pause", response_model=None)
    async def pause_trigger(name: str, request: Request) -> dict[str, Any] | JSONResponse:
        """Pause a trigger."""
        require_admin(request)
        return _info(await scheduler.pause(name))

    @router.post("/triggers/{name}/resume", response_model=None)
    async def resume_trigger(name: str, request: Request) -> dict[str, Any] | JSONResponse:
        """Resume a paused trigger."""
        require_admin(request)
        return _info(await scheduler.resume(name))

    return router


def create_app(scheduler: Scheduler, *, token: str | None = None) -> FastAPI:
    """An app running ``scheduler`` for its lifetime, with the router and health endpoints.

    ``GET /health/live`` answers while the process serves; ``GET /health/ready`` is 200 once
    the scheduler runs (with whether this instance leads), 503 otherwise.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await scheduler.start()
        try:
            yield
        finally:
            await scheduler.stop()

    app = FastAPI(title="rfs scheduler", lifespan=lifespan)
    app.include_router(create_router(scheduler, token=token))

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", response_model=None)
    async def ready() -> dict[str, Any] | JSONResponse:
        body = {
            "status": "ok" if scheduler.running else "starting",
            "leader": scheduler.is_leader,
            "instance": scheduler.instance_id,
            "triggers": len(scheduler.list()),
        }
        return body if scheduler.running else JSONResponse(status_code=503, content=body)

    return app
