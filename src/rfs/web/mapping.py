"""Which HTTP problem a service-layer error becomes: timeouts → 504, DI → 500, validation → 422.

Only types are inspected; messages of unknown errors never reach the client (they may hold
internals), so an unrecognised error is a generic 500.
"""

from __future__ import annotations

import logging

from rfs.web.errors import APIError, ErrorCode

__all__ = ["map_error"]

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
