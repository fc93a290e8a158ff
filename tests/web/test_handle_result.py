"""``@handle_result``, ``APIError`` problems, OpenAPI entries and DI through real FastAPI apps."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel

from rfs.reactive import MonoResult
from rfs.result import Failure, Result, Success
from rfs.web import APIError, ErrorCode, FastAPIResult, handle_result, install


class User(BaseModel):
    user_id: str
    name: str


class Counter:
    """A request-scoped component for the DI test."""


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def make_app() -> FastAPI:
    app = install(FastAPI())

    @app.get("/users/{user_id}")
    @handle_result
    async def get_user(user_id: str) -> Result[User, APIError]:
        if user_id == "missing":
            return Failure(APIError.not_found("user", user_id))
        if user_id == "boom":
            return Failure(RuntimeError("password=hunter2 at db.internal:5432"))
        if user_id == "raise":
            raise HTTPException(status_code=418, detail="teapot")
        return Success(User(user_id=user_id, name="Ada"))

    @handle_result
    @app.get("/above/{n}", status_code=201)
    def above(n: int) -> FastAPIResult[dict[str, int]]:
        return Success({"n": n}) if n >= 0 else Failure(APIError.conflict("negative"))

    return app


async def test_success_is_encoded_with_the_response_model() -> None:
    """Success(v) answers 200 with v serialised by FastAPI through the Success type."""
    async with client(make_app()) as c:
        r = await c.get("/users/7")
    assert r.status_code == 200
    assert r.json() == {"user_id": "7", "name": "Ada"}


async def test_api_error_becomes_a_problem() -> None:
    """Failure(APIError.not_found) answers 404 application/problem+json with RFC 9457 members."""
    async with client(make_app()) as c:
        r = await c.get("/users/missing", headers={"X-Correlation-ID": "cid-1"})
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("not_found")
    assert body["title"] == "Not found"
    assert body["status"] == 404
    assert body["detail"] == "user missing not found"
    assert body["instance"] == "/users/missing"
    assert body["correlation_id"] == "cid-1"
    assert r.headers["x-correlation-id"] == "cid-1"


async def test_other_failure_is_a_500_without_internals() -> None:
    """A Failure holding a non-APIError answers a generic 500 problem that repeats nothing of it."""
    async with client(make_app()) as c:
        r = await c.get("/users/boom")
    assert r.status_code == 500
    assert "hunter2" not in r.text and "db.internal" not in r.text
    assert r.json()["code"] == ErrorCode.INTERNAL


async def test_exceptions_still_reach_fastapi_handlers() -> None:
    """An HTTPException raised in the route is answered by FastAPI's own handler."""
    async with client(make_app()) as c:
        r = await c.get("/users/raise")
    assert r.status_code == 418
    assert r.json() == {"detail": "teapot"}


async def test_decorator_above_app_get_and_sync_route() -> None:
    """@handle_result above @app.get (after install) works on a sync route and keeps its status."""
    async with client(make_app()) as c:
        ok = await c.get("/above/3")
        bad = await c.get("/above/-1")
        invalid = await c.get("/above/x")
    assert (ok.status_code, ok.json()) == (201, {"n": 3})
    assert bad.status_code == 409 and bad.json()["detail"] == "negative"
    assert invalid.status_code == 422  # FastAPI's own validation is unchanged


async def test_timeout_failure_becomes_504() -> None:
    """A MonoResult.timeout() Failure that was not mapped answers 504."""
    import asyncio

    app = FastAPI()

    async def slow() -> Result[int, APIError]:
        await asyncio.sleep(10)
        return Success(1)

    @app.get("/slow")
    @handle_result
    async def route() -> Result[int, object]:
        return await MonoResult.from_async_result(slow).timeout(0.01).to_result()

    async with client(app) as c:
        r = await c.get("/slow")
    assert r.status_code == 504


def test_openapi_lists_success_model_and_problems() -> None:
    """The schema has the Success model for 200 and problem+json entries for 4XX/5XX."""
    schema = make_app().openapi()
    op = schema["paths"]["/users/{user_id}"]["get"]
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/User"}
    for key in ("4XX", "5XX"):
        content = op["responses"][key]["content"]["application/problem+json"]
        assert content["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "status" in schema["components"]["schemas"]["Problem"]["properties"]


async def test_direct_call_returns_the_result() -> None:
    """Calling the decorated function directly (as seed 004's tests do) returns the Result."""

    @handle_result
    async def get(user_id: str) -> Result[User, APIError]:
        return Failure(APIError.not_found("user", user_id))

    result = await get("1")
    assert isinstance(result, Failure) and result.error.code is ErrorCode.NOT_FOUND


async def test_fastapi_dependencies_and_rfs_request_scope() -> None:
    """Depends() and rfs.di's request scope work unchanged in a @handle_result route."""
    from rfs.di import Component, Registry
    from rfs.di import fastapi as di_fastapi

    registry = Registry()
    Component(scope="request", registry=registry)(Counter)
    app = FastAPI()
    di_fastapi.install(app, registry)

    def prefix() -> str:
        return "p-"

    @app.get("/dep")
    @handle_result
    async def dep(
        p: str = Depends(prefix),
        a: Counter = di_fastapi.Provide(Counter),
        b: Counter = di_fastapi.Provide(Counter),
    ) -> Result[str, APIError]:
        return Success(p + str(a is b))

    async with client(app) as c:
        r = await c.get("/dep")
    assert r.json() == "p-True"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (TimeoutError("x"), 504),
        (ValueError("bad input"), 422),
        (PermissionError("no"), 403),
        (ConnectionRefusedError("db"), 503),
        (KeyError("k"), 404),
        (RuntimeError("secret"), 500),
        (APIError.rate_limited(3.2), 429),
    ],
)
def test_from_service_error_maps_by_type(error: object, status: int) -> None:
    """from_service_error maps rfs/stdlib error types to their HTTP status."""
    assert APIError.from_service_error(error).status == status


def test_factories_and_problem_members() -> None:
    """Each factory has its code's status; extensions become problem members."""
    assert APIError.unauthorized().headers["WWW-Authenticate"] == "Bearer"
    assert APIError.forbidden().status == 403
    assert APIError.validation(errors=[{"loc": "x"}]).problem()["errors"] == [{"loc": "x"}]
    assert APIError.internal().status == 500
    assert APIError.rate_limited(2).headers["Retry-After"] == "2"
    with pytest.raises(ValueError, match="4xx or 5xx"):
        APIError(ErrorCode.INTERNAL, "x", status=200)
