"""``install(app)``: problem responses in the OpenAPI schema, and ``Result`` routes anywhere.

After ``install``, a route declared to return ``Result`` works with ``@handle_result`` above
or below ``@app.get`` (or with none): :class:`ResultRoute` wraps its endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from rfs.web.handle import MARKER, handle_result, is_result_route
from rfs.web.problem import PROBLEM_MEDIA_TYPE, problem_schema

__all__ = ["ResultRoute", "install", "problem_responses"]

_REF = {"$ref": "#/components/schemas/Problem"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem bodies (``4XX``/``5XX`` and ``statuses``)."""
    keys: list[int | str] = [*statuses, "4XX", "5XX"]
    return {
        k: {
            "description": "Problem details (RFC 9457)",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _REF}},
        }
        for k in keys
    }


class ResultRoute(APIRoute):
    """An ``APIRoute`` applying ``@handle_result`` to endpoints declared to return ``Result``."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not getattr(endpoint, MARKER, False) and is_result_route(endpoint):
            endpoint = handle_result(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _add_problems(schema: dict[str, Any], routes: list[Any]) -> None:
    paths = schema.get("paths", {})
    for route in routes:
        if not (isinstance(route, APIRoute) and getattr(route.endpoint, MARKER, False)):
            continue
        for method in route.methods or ():
            op = paths.get(route.path_format, {}).get(method.lower())
            if op is None:
                continue
            responses = op.setdefault("responses", {})
            for key, value in problem_responses().items():
                responses.setdefault(str(key), value)
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problem_schema()


def install(app: FastAPI) -> FastAPI:
    """Make ``app`` list problem responses for every ``Result`` route in its OpenAPI schema.

    Also sets :class:`ResultRoute` as the route class of routes declared afterwards, so
    ``@handle_result`` may sit above ``@app.get``. Returns ``app``.
    """
    if app.router.route_class is APIRoute:
        app.router.route_class = ResultRoute
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            _add_problems(schema, list(app.routes))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
