"""Structured log calls through stdlib ``logging``: ``log_info``, ``log_warning``, ``log_error``
(seed 001) and ``emit_entry`` for ``ResultLogEntry``. Fields are masked before the record is made,
so no handler ever sees a raw secret. Nothing here configures handlers."""

from __future__ import annotations

import logging
from typing import Any

from rfs.monitoring.context import current_correlation_id, current_operation
from rfs.monitoring.entries import ResultLogEntry
from rfs.monitoring.masking import get_masker

#: The default logger of rfs.monitoring's entries.
LOGGER_NAME = "rfs.monitoring"
#: The parent of v4's Result loggers: ``ResultLogger(name)`` logs on ``rfs.result.<name>``.
RESULT_LOGGER = "rfs.result"
_default_logger = logging.getLogger(LOGGER_NAME)


_DEBUG, _INFO, _WARNING, _ERROR = logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR
_by_name: dict[str, logging.Logger] = {}  # getLogger takes the module lock; loggers are never freed


def _logger(name: str | None) -> logging.Logger:
    if name is None:
        return _default_logger
    lg = _by_name.get(name)
    if lg is None:
        lg = _by_name[name] = logging.getLogger(name)
    return lg


def log_event(
    level: int, message: str, fields: dict[str, Any], logger: str | logging.Logger | None = None
) -> None:
    """Log ``message`` with structured ``fields`` (masked), the correlation id and operation."""
    lg = logger if isinstance(logger, logging.Logger) else _logger(logger)
    if lg.isEnabledFor(level):
        _emit(lg, level, message, fields, 4)


def _emit(
    lg: logging.Logger, level: int, message: str, fields: dict[str, Any], depth: int = 3
) -> None:
    masker = get_masker()
    extra = {
        "rfs_fields": masker.mask_fields(fields) if fields else {},
        "correlation_id": current_correlation_id(),
        "operation": current_operation(),
    }
    lg.log(level, "%s", masker.mask_text(message), extra=extra, stacklevel=depth)


def log_info(message: str, *, logger: str | None = None, **fields: Any) -> None:
    """Log ``message`` at INFO with ``fields`` as structured data."""
    lg = _default_logger if logger is None else _by_name.get(logger) or _logger(logger)
    if lg.isEnabledFor(_INFO):
        _emit(lg, _INFO, message, fields)


def log_warning(message: str, *, logger: str | None = None, **fields: Any) -> None:
    """Log ``message`` at WARNING with ``fields`` as structured data."""
    lg = _default_logger if logger is None else _by_name.get(logger) or _logger(logger)
    if lg.isEnabledFor(_WARNING):
        _emit(lg, _WARNING, message, fields)


def log_error(message: str, *, logger: str | None = None, **fields: Any) -> None:
    """Log ``message`` at ERROR with ``fields`` as structured data."""
    lg = _default_logger if logger is None else _by_name.get(logger) or _logger(logger)
    if lg.isEnabledFor(_ERROR):
        _emit(lg, _ERROR, message, fields)


def log_debug(message: str, *, logger: str | None = None, **fields: Any) -> None:
    """Log ``message`` at DEBUG with ``fields`` as structured data."""
    lg = _default_logger if logger is None else _by_name.get(logger) or _logger(logger)
    if lg.isEnabledFor(_DEBUG):
        _emit(lg, _DEBUG, message, fields)


_FREE_TEXT = ("error_message", "metadata", "user_id", "request_id")


def emit_entry(entry: ResultLogEntry, lg: logging.Logger, level: int | None = None) -> None:
    """Log a ``ResultLogEntry`` (ERROR for an error result unless ``level`` says otherwise)."""
    if level is None:
        level = logging.ERROR if entry.result_type == "error" else logging.INFO
    if not lg.isEnabledFor(level):
        return
    fields = entry.to_dict()
    masker = get_masker()
    for key in _FREE_TEXT:  # the other fields are names, numbers and ids rfs made
        if key in fields:
            fields[key] = masker.mask(fields[key], key)
    name = entry.operation_name if entry.step_name is None else entry.step_name
    extra = {
        "rfs_fields": fields,
        "correlation_id": entry.correlation_id,
        "operation": entry.operation_name,
    }
    if entry.result_type == "error":
        lg.log(
            level,
            "%s: error %s after %.2f ms",
            name,
            fields.get("error_type"),
            entry.processing_time_ms,
            extra=extra,
        )
    else:
        lg.log(level, "%s: success after %.2f ms", name, entry.processing_time_ms, extra=extra)
