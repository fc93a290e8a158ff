"""``@log_result_operation(name)``: one structured entry, one metric observation and (with OTel
instrumented) one span per call of a function returning a ``Result`` — sync or async.

Cost: when nothing listens (no monitor, no spans, the logger below INFO) a call pays one global
flag, a lookup in the logger's level memo, one contextvar set/reset and a clock read (and calls
``func(*args)`` when there are no keyword arguments: ``func(*args, **kwargs)`` copies the dict);
an emitting call builds one field dict and one ``LogRecord`` located at the decorated function
(no entry object, no stack walk: ``Logger.makeRecord``, then ``Logger.handle``)."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from rfs.monitoring import hook
from rfs.monitoring.context import _correlation, _operation, new_correlation_id
from rfs.monitoring.entries import ResultLogEntry, error_code_of
from rfs.monitoring.hook import perf_counter
from rfs.monitoring.logs import LOGGER_NAME, RESULT_LOGGER
from rfs.monitoring.masking import get_masker
from rfs.result import Failure, Result, Success

F = TypeVar("F", bound=Callable[..., Any])
_INFO = logging.INFO
_ERROR = logging.ERROR
# bound once: looking a C method up on a ContextVar makes a new bound method each time
_get_cid, _set_cid, _reset_cid = _correlation.get, _correlation.set, _correlation.reset
_set_op, _reset_op = _operation.set, _operation.reset
#: Where a record says it was logged from: (path, line, function name).
Site = tuple[str, int, str]


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
    site: Site | None = None,
) -> None:
    """Log the entry of one call of ``name`` (the fields of ``ResultLogEntry.to_dict`` without
    the timestamp, which is the record's own ``created``) as logged from ``site``; the caller
    has checked ``lg.isEnabledFor(level)``."""
    cid = cid or new_correlation_id()
    if type(result) is Success and not metadata:  # the common case, in one dict literal
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
        _log(lg, level, site, "%s: success after %.2f ms", (name, duration_ms), extra)
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
    extra = {"rfs_fields": fields, "correlation_id": cid, "operation": name}
    if masker is not None:
        args: tuple[object, ...] = (name, fields["error_type"], duration_ms)
        _log(lg, level, site, "%s: error %s after %.2f ms", args, extra)
    else:
        _log(lg, level, site, "%s: success after %.2f ms", (name, duration_ms), extra)


def _log(
    lg: logging.Logger,
    level: int,
    site: Site | None,
    msg: str,
    args: tuple[object, ...],
    extra: dict[str, Any],
) -> None:
    """What ``lg.log`` does after its level check, with the caller's location given instead of
    found by walking the stack."""
    if site is None:
        lg.log(level, msg, *args, extra=extra, stacklevel=3)
        return
    path, line, func = site
    lg.handle(lg.makeRecord(lg.name, level, path, line, msg, args, None, func, extra))


def _level_memo(lg: logging.Logger) -> Callable[[int], bool | None]:
    """Read ``lg``'s memo of ``isEnabledFor`` per level (CPython's ``Logger._cache``, cleared on
    every level change): a dict lookup instead of a Python call on the quiet path. None means
    "ask ``isEnabledFor``" (not memoized yet, or a Logger subclass with its own check). A stale
    True (a logger disabled by ``dictConfig``) only sends a call down the emitting path, which
    asks ``isEnabledFor`` again before logging."""
    memo = getattr(lg, "_cache", None)
    if not isinstance(memo, dict) or type(lg).isEnabledFor is not logging.Logger.isEnabledFor:
        memo = {}
    return memo.get


def _site(func: Callable[..., Any]) -> Site | None:
    """Where ``func`` is defined (None for a callable without code, e.g. a builtin)."""
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        return None
    return code.co_filename, code.co_firstlineno, getattr(func, "__name__", code.co_name)


def log_result_operation(
    operation_name: str,
    logger_name: str | None = None,
    include_args: bool = False,
    include_result: bool = True,
    *,
    logger: str | logging.Logger | None = None,
) -> Callable[[F], F]:
    """Log each call of the decorated function (sync or async, returning a ``Result``).

    The call runs under the current correlation id (a new one when none is set and anything
    will be recorded) with ``operation_name`` as the current operation, so ``MonoResult.log_step``
    inside it carries both. ``include_args`` adds the (masked) arguments to the entry's metadata.
    Entries are logged as from the decorated function (its file, first line and name).

    Where: ``logger`` is a stdlib logger (or its full name), used as is; ``logger_name`` is
    v4's: the ``ResultLogger`` of that name, logger ``rfs.result.<logger_name>``; with neither,
    ``rfs.monitoring``. ``ValueError`` when both are given or a name is empty.
    """
    lg = _target_logger(logger_name, logger)
    enabled = lg.isEnabledFor
    memo = _level_memo(lg)
    del include_result  # v4 parameter: the outcome is always part of the entry
    name = operation_name

    def decorator(func: F) -> F:
        site = _site(func)
        metric = hook.Site(name)

        def begin() -> tuple[str, Any, Any, hook.SpanScope | None, hook.SpanHandle | None]:
            """Enter the call: its correlation id (a new one when none is set), the operation,
            and a span when tracing is on."""
            cid = _get_cid()
            cid_token = None
            if cid is None:
                cid = new_correlation_id()
                cid_token = _set_cid(cid)
            op_token = _set_op(name)
            scope = span = None
            if (spans := hook.spans) is not None:
                scope = spans(name)
                span = scope.__enter__()
            return cid, cid_token, op_token, scope, span

        def end(
            result: object,
            start: float,
            entered: tuple[str, Any, Any, hook.SpanScope | None, hook.SpanHandle | None],
            args: tuple[Any, ...],
            kw: dict[str, Any],
        ) -> None:
            duration_ms = (perf_counter() - start) * 1000.0
            cid, cid_token, op_token, scope, span = entered
            failed = type(result) is not Success and isinstance(result, Failure | BaseException)
            error = _error(result) if failed else None
            if span is not None and scope is not None:
                span.finish(not failed, error)
                exc = result if isinstance(result, BaseException) else None
                scope.__exit__(type(exc) if exc else None, exc, None)
            if hook.monitor is not None:
                metric.record(not failed, duration_ms, error)
            level = _ERROR if failed else _INFO
            if enabled(level):
                meta = _metadata(func, args, kw) if include_args else None
                emit_result(lg, level, name, result, duration_ms, cid, meta, site)
            _reset_op(op_token)
            if cid_token is not None:
                _reset_cid(cid_token)

        def quiet_failure(result: object, start: float, a: tuple[Any, ...], k: Any) -> None:
            # nothing listens but the logger may still want errors
            if enabled(_ERROR):
                ms = (perf_counter() - start) * 1000.0
                meta = _metadata(func, a, k) if include_args else None
                emit_result(lg, _ERROR, name, result, ms, _get_cid(), meta, site)

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if not hook.listening and (memo(_INFO) is False or not enabled(_INFO)):
                    token = _set_op(name)
                    start = perf_counter()
                    try:
                        result = await (func(*args, **kwargs) if kwargs else func(*args))
                    except Exception as exc:
                        quiet_failure(exc, start, args, kwargs)
                        raise
                    finally:
                        _reset_op(token)
                    if type(result) is not Success and isinstance(result, Failure):
                        quiet_failure(result, start, args, kwargs)
                    return result
                entered = begin()
                start = perf_counter()
                try:
                    result = await (func(*args, **kwargs) if kwargs else func(*args))
                except Exception as exc:
                    end(exc, start, entered, args, kwargs)
                    raise
                end(result, start, entered, args, kwargs)
                return result

            return cast(F, async_wrapper)

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            if not hook.listening and (memo(_INFO) is False or not enabled(_INFO)):
                token = _set_op(name)
                start = perf_counter()
                try:
                    result = func(*args, **kwargs) if kwargs else func(*args)
                except Exception as exc:
                    quiet_failure(exc, start, args, kwargs)
                    raise
                finally:
                    _reset_op(token)
                if type(result) is not Success and isinstance(result, Failure):
                    quiet_failure(result, start, args, kwargs)
                return result
            entered = begin()
            start = perf_counter()
            try:
                result = func(*args, **kwargs) if kwargs else func(*args)
            except Exception as exc:
                end(exc, start, entered, args, kwargs)
                raise
            end(result, start, entered, args, kwargs)
            return result

        return cast(F, sync_wrapper)

    return decorator


def _target_logger(logger_name: str | None, logger: str | logging.Logger | None) -> logging.Logger:
    """The logger of ``log_result_operation``'s ``logger_name`` (v4) or ``logger`` (full)."""
    if logger_name is not None and logger is not None:
        raise ValueError(
            "log_result_operation takes logger (a full logger name) or logger_name "
            f"(v4's rfs.result.<name>), not both: got {logger!r} and {logger_name!r}"
        )
    if logger_name is not None:
        if not isinstance(logger_name, str) or not logger_name:
            raise ValueError(f"logger_name is a non-empty string, got {logger_name!r}")
        return logging.getLogger(f"{RESULT_LOGGER}.{logger_name}")
    if isinstance(logger, logging.Logger):
        return logger
    if logger is not None and (not isinstance(logger, str) or not logger):
        raise ValueError(f"logger is a Logger or a non-empty logger name, got {logger!r}")
    return logging.getLogger(logger or LOGGER_NAME)


def _metadata(
    func: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]
) -> dict[str, Any]:
    return {"function_name": func.__name__, "args": list(args), "kwargs": kw}


def _error(result: object) -> object | None:
    if isinstance(result, Failure):
        error: object = result.error
        return error
    return result if isinstance(result, BaseException) else None
