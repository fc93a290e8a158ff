"""Logging of ``MonoResult.log_step`` / ``.log_error``: the step's outcome with the current
operation and correlation id (``rfs.reactive`` delegates here)."""

from __future__ import annotations

import logging
from time import perf_counter
from typing import Any

from rfs.monitoring.context import current_correlation_id, current_operation
from rfs.monitoring.entries import error_code_of
from rfs.monitoring.masking import get_masker
from rfs.result import Failure, Result

_logger = logging.getLogger("rfs.reactive")


def log_mono_step(name: str, result: Result[Any, Any], start: float, errors_only: bool) -> None:
    """Log step ``name`` of a Mono: INFO for every outcome, or ERROR for a Failure only."""
    failed = isinstance(result, Failure)
    if errors_only and not failed:
        return
    level = logging.ERROR if errors_only else logging.INFO
    if not _logger.isEnabledFor(level):
        return
    elapsed_ms = (perf_counter() - start) * 1000.0
    operation = current_operation()
    cid = current_correlation_id()
    fields: dict[str, Any] = {
        "step_name": name,
        "operation_name": operation,
        "correlation_id": cid,
        "result_type": "error" if failed else "success",
        "processing_time_ms": elapsed_ms,
    }
    extra: dict[str, Any] = {
        "rfs_step": name,
        "rfs_result": "failure" if failed else "success",
        "rfs_elapsed_ms": elapsed_ms,
        "correlation_id": cid,
        "operation": operation,
    }
    masker = get_masker()
    if failed:
        error = result.error  # type: ignore[union-attr]
        extra["rfs_error_type"] = fields["error_type"] = type(error).__name__
        fields["error_code"] = error_code_of(error)
        text = masker.mask_text(repr(error))
        fields["error_message"] = text
        extra["rfs_fields"] = fields
        _logger.log(level, "step %s: failure %s after %.2f ms", name, text, elapsed_ms, extra=extra)
    else:
        extra["rfs_fields"] = fields
        _logger.log(level, "step %s: success after %.2f ms", name, elapsed_ms, extra=extra)


__all__ = ["log_mono_step", "perf_counter"]
