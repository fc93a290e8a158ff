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
from rfs.result import Failure, Result

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
    fields: dict[str, Any] = {
        "correlation_id": cid or new_correlation_id(),
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
        msg, args = "%s: error %s after %.2f ms", (name, fields["error_type"], duration_ms)
    else:
        msg, args = "%s: success after %.2f ms", (name, duration_ms)
    lg.log(level, msg, *args, extra=extra)


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
        def begin() -> _Call:
            cid = _correlation.get()
            cid_token = None
            if cid is None:
                cid = new_correlation_id()
                cid_token = _correlation.set(cid)
            call = _Call(cid, cid_token, _operation.set(name))
            spans = hook.spans
            if spans is not None:
                call.scope = spans(name)
                call.span = call.scope.__enter__()
            call.start = perf_counter()
            return call

        def end(call: _Call, result: object, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
            duration_ms = (perf_counter() - call.start) * 1000.0
            failed = isinstance(result, Failure | BaseException)
            error = _error(result) if failed else None
            if call.scope is not None and call.span is not None:
                call.span.finish(not failed, error)
                exc = result if isinstance(result, BaseException) else None
                call.scope.__exit__(type(exc) if exc else None, exc, None)
            m = hook.monitor
            if m is not None:
                m.observe(name, not failed, duration_ms, error, "app")
            level = _ERROR if failed else _INFO
            if lg.isEnabledFor(level):
                meta = _metadata(func, args, kw) if include_args else None
                emit_result(lg, level, name, result, duration_ms, call.cid, meta)
            _operation.reset(call.op_token)
            if call.cid_token is not None:
                _correlation.reset(call.cid_token)

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
                call = begin()
                try:
                    result = await func(*args, **kwargs)
                except Exception as exc:
                    end(call, exc, args, kwargs)
                    raise
                end(call, result, args, kwargs)
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
            call = begin()
            try:
                result = func(*args, **kwargs)
            except Exception as exc:
                end(call, exc, args, kwargs)
                raise
            end(call, result, args, kwargs)
            return result

        return cast(F, sync_wrapper)

    return decorator


def _metadata(func: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]) -> dict[str, Any]:
    return {"function_name": func.__name__, "args": list(args), "kwargs": kw}


def _error(result: object) -> object | None:
    if isinstance(result, Failure):
        error: object = result.error
        return error
    return result if isinstance(result, BaseException) else None


class _Call:
    """The state of one decorated call between ``begin`` and ``end``."""

    __slots__ = ("cid", "cid_token", "op_token", "scope", "span", "start")

    def __init__(self, cid: str | None, cid_token: Any, op_token: Any) -> None:
        self.cid = cid
        self.cid_token = cid_token
        self.op_token = op_token
        self.scope: hook.SpanScope | None = None
        self.span: hook.SpanHandle | None = None
        self.start = 0.0
