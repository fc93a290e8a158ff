"""RFC 9457 problem responses: the body, the correlation id, and the OpenAPI entries."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from rfs.web.errors import APIError

__all__ = ["PROBLEM_MEDIA_TYPE", "correlation_id", "problem_response", "problem_schema"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
CORRELATION_HEADERS = ("x-correlation-id", "x-request-id")


class ProblemResponse(JSONResponse):
    """A JSON response with the ``application/problem+json`` media type."""

    media_type = PROBLEM_MEDIA_TYPE


def correlation_id(request: Request | None) -> str:
    """The request's correlation id (``X-Correlation-ID``/``X-Request-ID``) or a new one."""
    if request is not None:
        for name in CORRELATION_HEADERS:
            value = request.headers.get(name)
            if value and len(value) <= 128 and value.isprintable():
                return value
    return uuid.uuid4().hex


def problem_response(error: APIError, request: Request | None) -> ProblemResponse:
    """``error`` as a problem+json response; ``instance`` is the request path."""
    cid = correlation_id(request)
    instance = request.url.path if request is not None else None
    body = error.problem(instance=instance, correlation_id=cid)
    headers = {**error.headers, "X-Correlation-ID": cid}
    return ProblemResponse(body, status_code=error.status, headers=headers)


def problem_schema() -> dict[str, Any]:
    """JSON schema of a problem object (RFC 9457 §3), extension members allowed."""
    return {
        "title": "Problem",
        "type": "object",
        "description": "RFC 9457 problem details",
        "properties": {
            "type": {"type": "string", "format": "uri-reference"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "format": "uri-reference"},
            "code": {"type": "string"},
            "correlation_id": {"type": "string"},
        },
        "required": ["type", "title", "status"],
        "additionalProperties": True,
    }
