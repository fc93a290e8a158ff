"""``@handle_result``: a route returning ``Result`` answers its Success value or a problem.

The wrapper FastAPI sees declares the Success type as its return annotation (so FastAPI's
``response_model`` and encoder apply) and a hidden ``Request`` parameter (for the problem's
``instance`` and correlation id). Called directly (in a test) it returns the ``Result``.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from rfs.result import Failure, Result, Success
from rfs.web.errors import APIError, map_error
from rfs.web.problem import problem_response

__all__ = ["FastAPIResult", "handle_result", "is_result_route", "success_type"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

#: ``Result[T, APIError]``: what a route with ``@handle_result`` returns
FastAPIResult: TypeAlias = Result[T, APIError]

_REQUEST = "_rfs_web_request"  # also spelt out as ``_fast_route``'s keyword-only parameter
MARKER = "__rfs_handle_result__"


def success_type(annotation: Any) -> Any:
    """``T`` of ``Result[T, E]`` (also ``Success[T] | Failure[E]``), else ``annotation``."""
    if typing.get_origin(annotation) is Result:
        return typing.get_args(annotation)[0]
    args = typing.get_args(annotation)
    if args and all(typing.get_origin(a) in (Success, Failure) for a in args):
        ok = [typing.get_args(a)[0] for a in args if typing.get_origin(a) is Success]
        return ok[0] if len(ok) == 1 else inspect.Signature.empty
    if annotation is Result or annotation in (Success, Failure):
        return inspect.Signature.empty
    return annotation


def is_result_route(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` is declared to return a ``Result`` (and needs wrapping)."""
    hint = _hints(fn).get("return", inspect.Signature.empty)
    return success_type(hint) is not hint


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """Evaluated annotations of ``fn``; one that does not resolve is left as written."""
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except (NameError, TypeError):
        pass
    hints: dict[str, Any] = {}
    namespace = getattr(fn, "__globals__", {})
    for name, value in getattr(fn, "__annotations__", {}).items():
        try:
            # the route's own annotations (its source code, not input), as get_type_hints does
            hints[name] = eval(value, namespace) if isinstance(value, str) else value  # nosec B307
        except Exception:  # unresolved: FastAPI reports it as usual
            hints[name] = value
    return hints


def _request_param(fn: Callable[..., Any]) -> str | None:
    """The name of ``fn``'s own ``Request`` parameter (FastAPI fills only one), if any."""
    hints = _hints(fn)
    for name in inspect.signature(fn).parameters:
        hint = hints.get(name)
        if isinstance(hint, type) and issubclass(hint, Request):
            return name
    return None


def _signature(fn: Callable[..., Any], own_request: str | None) -> inspect.Signature:
    sig = inspect.signature(fn)
    hints = _hints(fn)
    params = [
        p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values()
    ]
    if own_request is None:
        hidden = inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        rest = [p for p in params if p.kind is not inspect.Parameter.VAR_KEYWORD]
        varkw = [p for p in params if p.kind is inspect.Parameter.VAR_KEYWORD]
        params = [*rest, hidden, *varkw]
    return sig.replace(
        parameters=params,
        return_annotation=success_type(hints.get("return", sig.return_annotation)),
    )


def to_response(result: object, request: Request | None) -> Any:
    """What FastAPI should send for ``result``: the Success value or a problem response."""
    if isinstance(result, Success):
        return result.value
    if isinstance(result, Failure):
        return problem_response(map_error(result.error, by_type=False), request)
    return result  # not a Result: FastAPI handles it as usual


def _fast_route(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The common case, an async route without a ``Request`` of its own: the hidden request
    arrives as a keyword-only parameter and a Success answers without a further call."""

    async def route(*args: Any, _rfs_web_request: Any = None, **kwargs: Any) -> Any:
        result = await fn(*args, **kwargs)
        if _rfs_web_request is None:  # a direct call, not through FastAPI
            return result
        if result.__class__ is Success:
            return result.value
        return to_response(result, _rfs_web_request)

    return route


def _route(fn: Callable[..., Any], is_async: bool, own_request: str | None) -> Callable[..., Any]:
    """Any other route: sync ones run in the thread pool; an own ``Request`` is reused."""

    async def route(*args: Any, **kwargs: Any) -> Any:
        request = kwargs.pop(_REQUEST, None) if own_request is None else kwargs.get(own_request)
        if is_async:
            result = await fn(*args, **kwargs)
        else:
            result = await run_in_threadpool(fn, *args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        if not isinstance(request, Request):  # a direct call, not through FastAPI
            return result
        return to_response(result, request)

    return route


def handle_result(fn: F) -> F:
    """Answer a route's ``Success(v)`` with ``v`` and its ``Failure(e)`` with a problem.

    ``Failure(APIError)`` keeps its status; a timeout becomes 504 and any other error a
    500 problem with no internals. Exceptions propagate to FastAPI's handlers.
    """
    if getattr(fn, MARKER, False):
        return fn
    is_async = inspect.iscoroutinefunction(fn)
    own_request = _request_param(fn)

    route = (
        _fast_route(fn) if is_async and own_request is None else _route(fn, is_async, own_request)
    )
    functools.update_wrapper(route, fn)
    route.__signature__ = _signature(fn, own_request)  # type: ignore[attr-defined]
    setattr(route, MARKER, True)
    return typing.cast(F, route)
