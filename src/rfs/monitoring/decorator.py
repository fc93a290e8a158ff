"""``@log_result_operation(name)``: one structured entry, one metric observation and (with OTel
instrumented) one span per call of a function returning a ``Result`` — sync or async."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, TypeVar, cast

from rfs.monitoring import hook
from rfs.monitoring.context import (
    _correlation,
    _operation,
    new_correlation_id,
)
from rfs.monitoring.entries import ResultLogEntry, error_code_of
from rfs.monitoring.logs import LOGGER_NAME, emit_entry
from rfs.result import Failure, Result

F = TypeVar("F", bound=Callable[..., Any])


def result_entry(
    operation: str,
    step: str | None,
    result: object,
    duration_ms: float,
    correlation_id: str,
    metadata: dict[str, Any] | None = None,
) -> ResultLogEntry:
    """The ``ResultLogEntry`` describing ``result`` (a Result, or an exception that escaped)."""
    entry = ResultLogEntry(
        timestamp=datetime.now(UTC),
        correlation_id=correlation_id,
        operation_name=operation,
        step_name=step,
        result_type="success",
        processing_time_ms=duration_ms,
        metadata=metadata or {},
    )
    if isinstance(result, Failure):
        error = result.error
        entry.result_type = "error"
        entry.error_type = type(error).__name__
        entry.error_code = error_code_of(error)
        entry.error_message = str(error)[:1000]
    elif isinstance(result, BaseException):
        entry.result_type = "error"
        entry.error_type = type(result).__name__
        entry.error_message = str(result)[:1000]
        entry.metadata["exception"] = True
    elif isinstance(result, Result):
        entry.success_type = type(result.unwrap()).__name__
    return entry


def _finish(
    name: str,
    result: object,
    start: float,
    cid: str | None,
    lg: logging.Logger,
    metadata: dict[str, Any] | None,
) -> None:
    duration_ms = (perf_counter() - start) * 1000.0
    failed = isinstance(result, Failure | BaseException)
    m = hook.monitor
    if m is not None:
        error = result.error if isinstance(result, Failure) else (result if failed else None)
        m.observe(name, not failed, duration_ms, error, "app")
    level = logging.ERROR if failed else logging.INFO
    if lg.isEnabledFor(level):
        entry = result_entry(name, None, result, duration_ms, cid or new_correlation_id(), metadata)
        emit_entry(entry, lg, level)


def log_result_operation(
    operation_name: str,
    logger_name: str | None = None,
    include_args: bool = False,
    include_result: bool = True,
) -> Callable[[F], F]:
    """Log each call of the decorated function (sync or async, returning a ``Result``).

    The call runs under the current correlation id (a new one when none is set and anything
    will be recorded) with ``operation_name`` as the current operation, so ``MonoResult.log_step``
    inside it carries both. ``include_args`` adds the (masked) arguments to the entry's metadata.
    """
    lg = logging.getLogger(logger_name or LOGGER_NAME)
    del include_result  # v4 parameter: the outcome is always part of the entry

    def decorator(func: F) -> F:
        def metadata(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
            if not include_args:
                return None
            return {"function_name": func.__name__, "args": list(args), "kwargs": kwargs}

        def enter() -> tuple[Any, Any, str | None]:
            cid = _correlation.get()
            cid_token = None
            if cid is None and (hook.monitor is not None or lg.isEnabledFor(logging.INFO)):
                cid = new_correlation_id()
                cid_token = _correlation.set(cid)
            return cid_token, _operation.set(operation_name), cid

        def leave(tokens: tuple[Any, Any, str | None]) -> None:
            _operation.reset(tokens[1])
            if tokens[0] is not None:
                _correlation.reset(tokens[0])

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                tokens = enter()
                start = perf_counter()
                result: object = None
                try:
                    spans = hook.spans
                    if spans is None:
                        result = await func(*args, **kwargs)
                    else:
                        with spans(operation_name) as span:
                            result = await func(*args, **kwargs)
                            span.finish(not isinstance(result, Failure), _error(result))
                    return result
                except Exception as exc:
                    result = exc
                    raise
                finally:
                    _finish(operation_name, result, start, tokens[2], lg, metadata(args, kwargs))
                    leave(tokens)

            return cast(F, async_wrapper)

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            tokens = enter()
            start = perf_counter()
            result: object = None
            try:
                spans = hook.spans
                if spans is None:
                    result = func(*args, **kwargs)
                else:
                    with spans(operation_name) as span:
                        result = func(*args, **kwargs)
                        span.finish(not isinstance(result, Failure), _error(result))
                return result
            except Exception as exc:
                result = exc
                raise
            finally:
                _finish(operation_name, result, start, tokens[2], lg, metadata(args, kwargs))
                leave(tokens)

        return cast(F, sync_wrapper)

    return decorator


def _error(result: object) -> object | None:
    return result.error if isinstance(result, Failure) else None
