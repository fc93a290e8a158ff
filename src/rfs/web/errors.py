"""``APIError``: an HTTP-mappable error value with an ``ErrorCode`` and RFC 9457 problem fields.

Pure data (no FastAPI import), so services can return ``Failure(APIError.not_found(...))``
without depending on the web stack.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["APIError", "ErrorCode", "map_error"]


class ErrorCode(StrEnum):
    """What went wrong, independent of wording; each code has a default HTTP status."""

    VALIDATION = "validation_error"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal_error"
    UNAVAILABLE = "service_unavailable"
    TIMEOUT = "timeout"

    @property
    def status(self) -> int:
        return _STATUS[self]

    @property
    def default_title(self) -> str:
        return _TITLE[self]


_STATUS = {
    ErrorCode.VALIDATION: 422,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL: 500,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.TIMEOUT: 504,
}
_TITLE = {
    ErrorCode.VALIDATION: "Validation failed",
    ErrorCode.UNAUTHORIZED: "Authentication required",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.CONFLICT: "Conflict",
    ErrorCode.PAYLOAD_TOO_LARGE: "Payload too large",
    ErrorCode.RATE_LIMITED: "Too many requests",
    ErrorCode.INTERNAL: "Internal server error",
    ErrorCode.UNAVAILABLE: "Service unavailable",
    ErrorCode.TIMEOUT: "Gateway timeout",
}

#: base of the ``type`` URIs (RFC 9457 §3.1.1); relative references are allowed
TYPE_BASE = "urn:rfs:problem:"


@dataclass(frozen=True, slots=True)
class APIError:
    """An error a route returns in a ``Failure``; rendered as ``application/problem+json``.

    ``extensions`` become extra members of the problem object (RFC 9457 §3.2); ``headers``
    are sent with the response (e.g. ``Retry-After``, ``WWW-Authenticate``).
    """

    code: ErrorCode
    detail: str
    status: int = 0  # 0: the code's default status
    title: str = ""
    type: str = ""
    instance: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", self.code.status)
        if not 400 <= self.status <= 599:
            raise ValueError(f"APIError status must be 4xx or 5xx, got {self.status}")
        if not self.title:
            object.__setattr__(self, "title", self.code.default_title)
        if not self.type:
            object.__setattr__(self, "type", TYPE_BASE + self.code.value)

    def __str__(self) -> str:
        return f"{self.status} {self.code.value}: {self.detail}"

    def problem(self, *, instance: str | None = None, **members: Any) -> dict[str, Any]:
        """The RFC 9457 problem object: standard members, then extensions and ``members``."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code.value,
        }
        if self.instance or instance:
            body["instance"] = self.instance or instance
        for key, value in {**self.extensions, **members}.items():
            if key not in body and value is not None:
                body[key] = value
        return body

    # -- factories (SPEC §11) -------------------------------------------------------------

    @classmethod
    def not_found(cls, resource: str, id: object) -> APIError:
        """``resource`` with ``id`` does not exist (404)."""
        return cls(
            ErrorCode.NOT_FOUND,
            f"{resource} {id!s} not found",
            extensions={"resource": resource, "id": str(id)},
        )

    @classmethod
    def validation(
        cls, detail: str = "the request is invalid", *, errors: list[dict[str, Any]] | None = None
    ) -> APIError:
        """The request is well-formed but its content is invalid (422); ``errors`` per field."""
        return cls(ErrorCode.VALIDATION, detail, extensions={"errors": errors} if errors else {})

    @classmethod
    def unauthorized(cls, detail: str = "a valid bearer token is required") -> APIError:
        """No or bad credentials (401, with ``WWW-Authenticate: Bearer``)."""
        return cls(ErrorCode.UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})

    @classmethod
    def forbidden(cls, detail: str = "not allowed") -> APIError:
        """Authenticated but not allowed (403)."""
        return cls(ErrorCode.FORBIDDEN, detail)

    @classmethod
    def conflict(cls, detail: str) -> APIError:
        """The request conflicts with the current state (409)."""
        return cls(ErrorCode.CONFLICT, detail)

    @classmethod
    def rate_limited(cls, retry_after: float | None = None) -> APIError:
        """Too many requests (429), with ``Retry-After`` seconds when known."""
        headers = {} if retry_after is None else {"Retry-After": str(max(0, round(retry_after)))}
        return cls(ErrorCode.RATE_LIMITED, "too many requests", headers=headers)

    @classmethod
    def internal(cls, detail: str = "an internal error occurred") -> APIError:
        """A server-side failure (500); ``detail`` must not carry internals."""
        return cls(ErrorCode.INTERNAL, detail)

    @classmethod
    def unavailable(cls, detail: str = "a backing service is unavailable") -> APIError:
        """A dependency (database, broker) is down (503)."""
        return cls(ErrorCode.UNAVAILABLE, detail, headers={"Retry-After": "5"})

    @classmethod
    def payload_too_large(cls, limit: int) -> APIError:
        """The body exceeds ``limit`` bytes (413)."""
        return cls(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"the body exceeds {limit} bytes",
            extensions={"limit": limit},
        )

    @classmethod
    def from_service_error(cls, error: object) -> APIError:
        """Map a service-layer error to an ``APIError`` (see :func:`map_error`)."""
        return map_error(error)


# Which HTTP problem a service-layer error becomes: timeouts -> 504, DI -> 500, validation -> 422.
# Only types are inspected; messages of unknown errors never reach the client (they may hold
# internals), so an unrecognised error is a generic 500.

_log = logging.getLogger("rfs.web")


def _known(error: BaseException) -> APIError | None:
    from rfs.di.errors import DIError

    if isinstance(error, TimeoutError):
        return APIError(ErrorCode.TIMEOUT, "the operation did not complete in time")
    if isinstance(error, DIError):
        return APIError.internal("the service is misconfigured")
    if isinstance(error, PermissionError):
        return APIError.forbidden()
    if isinstance(error, (ConnectionError, OSError)):
        return APIError.unavailable()
    if isinstance(error, LookupError):
        return APIError(ErrorCode.NOT_FOUND, "the requested resource was not found")
    if isinstance(error, ValueError):
        return APIError.validation()
    return None


def map_error(error: object, *, by_type: bool = True) -> APIError:
    """``error`` as an ``APIError``; an ``APIError`` is returned unchanged.

    With ``by_type`` (``APIError.from_service_error``) known exception types map to their
    status; without it (an unmapped ``Failure`` reaching ``@handle_result``) only timeouts
    do (504). Anything else is logged here and answered with a detail-free 500.
    """
    if isinstance(error, APIError):
        return error
    if isinstance(error, BaseException):
        known = _known(error) if by_type else None
        if known is None and isinstance(error, TimeoutError):
            known = APIError(ErrorCode.TIMEOUT, "the operation did not complete in time")
        if known is not None:
            return known
    _log.error("unmapped service error %s: %r", type(error).__name__, error)
    return APIError.internal()
