"""``@log_result_operation(name)``: one structured entry, one metric observation and (with OTel
instrumented) one span per call of a function returning a ``Result`` — sync or async.

Cost: when nothing listens (no monitor, no spans, the logger below INFO) a call pays two global
lookups, ``isEnabledFor``, one contextvar set/reset and a clock read; an emitting call builds one
field dict and one ``LogRecord`` (no intermediate entry object)."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from time import perf_counter
from typing import Any, TypeVar, cast

from rfs.monitoring import hook
from rfs.monitoring.context import _correlation, _operation, new_correlation_id
from rfs.monitoring.entries import ResultLogEntry, error_code_of
from rfs.monitoring.logs import LOGGER_NAME
from rfs.monitoring.masking import get_masker
from rfs.result import Failure, Result, Success

F = TypeVar("F", bound=Callable[..., Any])
_INFO = logging.INFO
_ERROR = logging.ERROR


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
    for key, value in outcome_fields(result).items():
        setattr(entry, key, value)
    if isinstance(result, BaseException):
        entry.metadata["exception"] = True
    return entry


def outcome_fields(result: object) -> dict[str, Any]:
    """``result_type`` and the success or error fields of an entry for ``result``."""
    if isinstance(result, Failure):
        error = result.error
        return {
            "result_type": "error",
            "error_type": type(error).__name__,
            "error_code": error_code_of(error),
            "error_message": str(error)[:1000],
        }
    if isinstance(result, BaseException):
        return {
            "result_type": "error",
            "error_type": type(result).__name__,
            "error_message": str(result)[:1000],
        }
    if isinstance(result, Result):
        return {"result_type": "success", "success_type": type(result.unwrap()).__name__}
    return {"result_type": "success"}


def emit_result(
    lg: logging.Logger,
    level: int,
    name: str,
    result: object,
    duration_ms: float,
    cid: str | None,
    metadata: dict[str, Any] | None,
) -> None:
    """Log the entry of one call of ``name`` (the fields of ``ResultLogEntry.to_dict`` without
    the timestamp, which is the record's own ``created``)."""
    cid = cid or new_correlation_id()
    if isinstance(result, Success) and not metadata:  # the common case, in one dict literal
        fields: dict[str, Any] = {
            "correlation_id": cid,
            "operation_name": name,
            "result_type": "success",
            "processing_time_ms": duration_ms,
            "success_type": type(result.value).__name__,
            "service_name": "rfs-framework",
            "environment": "production",
        }
        extra = {"rfs_fields": fields, "correlation_id": cid, "operation": name}
        lg.log(level, "%s: success after %.2f ms", name, duration_ms, extra=extra)
        return
    fields = {
        "correlation_id": cid,
        "operation_name": name,
        "processing_time_ms": duration_ms,
        "service_name": "rfs-framework",
        "environment": "production",
    }
    fields.update(outcome_fields(result))
    masker = None
    if fields["result_type"] == "error":
        masker = get_masker()
        fields["error_message"] = masker.mask(fields["error_message"], "error_message")
        if fields.get("error_code") is None:
            fields.pop("error_code", None)
    if isinstance(result, BaseException):
        metadata = {**(metadata or {}), "exception": True}
    if metadata:
        fields["metadata"] = (masker or get_masker()).mask(metadata, "metadata")
    extra = {"rfs_fields": fields, "correlation_id": fields["correlation_id"], "operation": name}
    if masker is not None:
        err = fields["error_type"]
        lg.log(level, "%s: error %s after %.2f ms", name, err, duration_ms, extra=extra)
    else:
        lg.log(level, "%s: success after %.2f ms", name, duration_ms, extra=extra)


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
    name = operation_name

    def decorator(func: F) -> F:
        def begin() -> tuple[str, tuple[Any, Any], hook.SpanScope | None, hook.SpanHandle | None]:
            """Enter the call: its correlation id (a new one when none is set), the operation,
            and a span when tracing is on."""
            cid = _correlation.get()
            cid_token = None
            if cid is None:
                cid = new_correlation_id()
                cid_token = _correlation.set(cid)
            tokens = (cid_token, _operation.set(name))
            scope = span = None
            if (spans := hook.spans) is not None:
                scope = spans(name)
                span = scope.__enter__()
            return cid, tokens, scope, span

        def end(
            result: object,
            start: float,
            cid: str,
            tokens: tuple[Any, Any],
            scope: hook.SpanScope | None,
            span: hook.SpanHandle | None,
            args: tuple[Any, ...],
            kw: dict[str, Any],
        ) -> None:
            duration_ms = (perf_counter() - start) * 1000.0
            failed = isinstance(result, Failure | BaseException)
            error = _error(result) if failed else None
            if scope is not None and span is not None:
                span.finish(not failed, error)
                exc = result if isinstance(result, BaseException) else None
                scope.__exit__(type(exc) if exc else None, exc, None)
            m = hook.monitor
            if m is not None:
                m.observe(name, not failed, duration_ms, error, "app")
            level = _ERROR if failed else _INFO
            if lg.isEnabledFor(level):
                meta = _metadata(func, args, kw) if include_args else None
                emit_result(lg, level, name, result, duration_ms, cid, meta)
            _operation.reset(tokens[1])
            if tokens[0] is not None:
                _correlation.reset(tokens[0])

        def quiet_failure(result: object, start: float, a: tuple[Any, ...], k: Any) -> None:
            # nothing listens but the logger may still want errors
            if lg.isEnabledFor(_ERROR):
                ms = (perf_counter() - start) * 1000.0
                meta = _metadata(func, a, k) if include_args else None
                emit_result(lg, _ERROR, name, result, ms, _correlation.get(), meta)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if hook.monitor is None and hook.spans is None and not lg.isEnabledFor(_INFO):
                    token = _operation.set(name)
                    start = perf_counter()
                    try:
                        result = await func(*args, **kwargs)
                    except Exception as exc:
                        quiet_failure(exc, start, args, kwargs)
                        raise
                    finally:
                        _operation.reset(token)
                    if isinstance(result, Failure):
                        quiet_failure(result, start, args, kwargs)
                    return result
                cid, tokens, scope, span = begin()
                start = perf_counter()
                try:
                    result = await func(*args, **kwargs)
                except Exception as exc:
                    end(exc, start, cid, tokens, scope, span, args, kwargs)
                    raise
                end(result, start, cid, tokens, scope, span, args, kwargs)
                return result

            return cast(F, async_wrapper)

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            if hook.monitor is None and hook.spans is None and not lg.isEnabledFor(_INFO):
                token = _operation.set(name)
                start = perf_counter()
                try:
                    result = func(*args, **kwargs)
                except Exception as exc:
                    quiet_failure(exc, start, args, kwargs)
                    raise
                finally:
                    _operation.reset(token)
                if isinstance(result, Failure):
                    quiet_failure(result, start, args, kwargs)
                return result
            cid, tokens, scope, span = begin()
            start = perf_counter()
            try:
                result = func(*args, **kwargs)
            except Exception as exc:
                end(exc, start, cid, tokens, scope, span, args, kwargs)
                raise
            end(result, start, cid, tokens, scope, span, args, kwargs)
            return result

        return cast(F, sync_wrapper)

    return decorator


def _metadata(
    func: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]
) -> dict[str, Any]:
    return {"function_name": func.__name__, "args": list(args), "kwargs": kw}


def _error(result: object) -> object | None:
    if isinstance(result, Failure):
        error: object = result.error
        return error
    return result if isinstance(result, BaseException) else None
