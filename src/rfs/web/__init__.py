"""``rfs.web``: Result-returning FastAPI routes, RFC 9457 problems, ops API and dashboard.

Needs FastAPI: ``pip install 'rfs[web]'``. ``APIError``/``ErrorCode`` live in
``rfs.web.errors``, which does not import FastAPI.
"""

from __future__ import annotations

from rfs._require import require

require("web", "fastapi", "rfs.web")  # before the modules below, which import FastAPI
from rfs.web.errors import APIError, ErrorCode  # noqa: E402
from rfs.web.handle import FastAPIResult, handle_result  # noqa: E402
from rfs.web.problem import PROBLEM_MEDIA_TYPE, problem_response  # noqa: E402
from rfs.web.routing import ResultRoute, install, problem_responses  # noqa: E402

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
