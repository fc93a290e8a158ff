"""FastAPI integration: fire API triggers over HTTP, list, pause and resume (bearer-token auth).

Import this module only where FastAPI is installed (``pip install 'rfs[web]'``)::

    app.include_router(create_router(scheduler, token="admin-secret"))

``POST /triggers/{name}/fire`` accepts the trigger's own token (``create_api_trigger(token=...)``)
or the router's; the other endpoints need the router's token. Without a valid token the answer
is 401 and nothing fires. The token is checked from the headers before any of the body is
read; the body is then read up to ``max_body_size`` bytes (1 MiB by default; 413 beyond it,
also for chunked bodies without a Content-Length) and must be JSON (422 otherwise).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from rfs._require import require
from rfs.result import Failure, Result, Success
from rfs.scheduler.entry import SchedulerError, TriggerInfo
from rfs.scheduler.scheduler import Scheduler
from rfs.scheduler.triggers import APITrigger

require("web", "fastapi", "rfs.scheduler.api")
from fastapi import APIRouter, FastAPI, HTTPException, Request, status  # noqa: E402
from fastapi.responses import JSONResponse  # noqa: E402

MAX_BODY_SIZE = 1024 * 1024
"""The default limit on a fire request's body, in bytes."""

_STATUS = {
    "not_found": 404,
    "paused": 409,
    "not_api_trigger": 409,
    "fire_failed": 500,
    "body_too_large": 413,
    "invalid_body": 422,
}


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
    # Connection: close, so the server drops a body nobody will read instead of draining it
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or invalid bearer token",
        headers={"WWW-Authenticate": "Bearer", "Connection": "close"},
    )


def _problem(error: SchedulerError) -> JSONResponse:
    code = _STATUS.get(error.code, 400)
    headers = {"Connection": "close"} if code == 413 else None
    return JSONResponse(
        status_code=code,
        content={"title": error.code, "status": code, "detail": error.message},
        headers=headers,
    )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def read_json(request: Request, limit: int) -> Result[Any, SchedulerError]:
    """The request's JSON body (None when empty), read at most ``limit`` bytes far.

    A declared Content-Length over the limit is refused before reading; a body without one
    (chunked) is counted while it streams and reading stops at the limit.
    """
    too_large = SchedulerError("body_too_large", f"the request body exceeds {limit} bytes")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            return Failure(SchedulerError("invalid_body", "Content-Length is not a number"))
        if int(declared) > limit:
            return Failure(too_large)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return Failure(too_large)
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        return Success(None)
    try:
        return Success(json.loads(body, parse_constant=_no_constant))
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        detail = str(exc)[:200]
        return Failure(SchedulerError("invalid_body", f"the request body is not JSON: {detail}"))


def _not_found(name: str) -> JSONResponse:
    return _problem(SchedulerError("not_found", f"no trigger named {name!r}"))


def _info(outcome: Result[TriggerInfo, SchedulerError]) -> dict[str, Any] | JSONResponse:
    """The trigger after a pause or resume, or the problem that prevented it."""
    if isinstance(outcome, Failure):
        return _problem(outcome.error)
    return outcome.value.to_dict()


def create_router(
    scheduler: Scheduler, *, token: str | None = None, max_body_size: int = MAX_BODY_SIZE
) -> APIRouter:
    """Routes under ``/triggers``; ``token`` is the admin bearer token (None: API tokens only).

    ``max_body_size`` limits a fire request's JSON body (bytes).
    """
    if token is not None and len(token) < 8:
        raise ValueError("the router token must be at least 8 characters")
    if max_body_size < 0:
        raise ValueError(f"max_body_size must not be negative, got {max_body_size}")
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
    async def fire_trigger(name: str, request: Request) -> dict[str, Any] | JSONResponse:
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
        payload = await read_json(request, max_body_size)
        if isinstance(payload, Failure):
            return _problem(payload.error)
        outcome = await scheduler.fire(name, payload.value)
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


def create_app(
    scheduler: Scheduler, *, token: str | None = None, max_body_size: int = MAX_BODY_SIZE
) -> FastAPI:
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
    app.include_router(create_router(scheduler, token=token, max_body_size=max_body_size))

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
