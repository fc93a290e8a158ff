"""``rfs.web``: Result-returning FastAPI routes, RFC 9457 problems, ops API and dashboard.

Needs FastAPI: ``pip install 'rfs[web]'``. ``APIError``/``ErrorCode`` live in
``rfs.web.errors``, which does not import FastAPI.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("rfs.web needs FastAPI: pip install 'rfs[web]'") from exc

from rfs.web.errors import APIError, ErrorCode
from rfs.web.handle import FastAPIResult, handle_result
from rfs.web.problem import PROBLEM_MEDIA_TYPE, problem_response
from rfs.web.routing import ResultRoute, install, problem_responses

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "APIError",
    "ErrorCode",
    "FastAPIResult",
    "ResultRoute",
    "handle_result",
    "install",
    "problem_response",
    "problem_responses",
]
