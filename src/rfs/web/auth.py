"""Bearer-token checks for the ops API, run as dependencies before any body is read."""

from __future__ import annotations

import hmac
from collections.abc import Callable

from fastapi import HTTPException, Request

__all__ = ["bearer_guard"]


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def bearer_guard(*tokens: str | None) -> Callable[[Request], None]:
    """A dependency answering 401 unless the request carries one of ``tokens``.

    With no token configured (all ``None``) the guard lets every request through, which is
    how read-only endpoints are opened. ``Connection: close`` makes the server drop a body
    nobody will read instead of draining it.
    """
    expected = [t.encode() for t in tokens if t is not None]

    def guard(request: Request) -> None:
        if not expected:
            return
        given = _bearer(request)
        if given is not None and any(hmac.compare_digest(given.encode(), t) for t in expected):
            return
        raise HTTPException(
            status_code=401,
            detail="missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer", "Connection": "close"},
        )

    return guard
