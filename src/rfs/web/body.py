"""Reading a JSON request body with a size cap, as a ``Result`` with an ``APIError``."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from rfs.result import Failure, Result, Success
from rfs.web.errors import APIError

__all__ = ["read_body"]


async def read_body(request: Request, limit: int) -> Result[Any, APIError]:
    """The JSON body (None when empty); over ``limit`` bytes → 413, not JSON → 422.

    Uses the scheduler API's reader (one body reader for every RFS endpoint).
    """
    from rfs.scheduler.api import read_json

    body = await read_json(request, limit)
    if isinstance(body, Failure):
        if body.error.code == "body_too_large":
            return Failure(APIError.payload_too_large(limit))
        return Failure(APIError.validation(body.error.message))
    return Success(body.value)
