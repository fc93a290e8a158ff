"""RFS v4's ``ResultLogger`` and ``LogLevel``: an operation/step logger over ``rfs.monitoring``'s
structured entries (logger ``rfs.result.<name>`` as in v4)."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from rfs.monitoring.context import get_correlation_id
from rfs.monitoring.decorator import result_entry
from rfs.monitoring.logs import LOGGER_NAME, RESULT_LOGGER, emit_entry, log_event
from rfs.result import Result


class LogLevel(StrEnum):
    """Log levels by name (v4)."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"

    @property
    def number(self) -> int:
        """The stdlib level number."""
        return int(getattr(logging, self.value))


class ResultLogger:
    """Logs operations, their steps and their Results under one correlation id."""

    def __init__(self, name: str, level: LogLevel = LogLevel.INFO) -> None:
        self.name = name
        self.level = level
        self.logger = logging.getLogger(f"{RESULT_LOGGER}.{name}")
        self._started: dict[str, float] = {}

    def start_operation(self, operation_name: str, metadata: dict[str, Any] | None = None) -> str:
        """Log the start of ``operation_name``; returns the correlation id it runs under."""
        cid = get_correlation_id()
        self._started[operation_name] = time.perf_counter()
        log_event(
            logging.INFO,
            f"operation {operation_name} started",
            {
                "operation_name": operation_name,
                "metadata": metadata or {},
                "event_type": "operation_start",
            },
            self.logger,
        )
        return cid

    def log_step(
        self,
        step_name: str,
        duration_ms: float,
        status: str = "success",
        details: Mapping[str, Any] | str | None = None,
    ) -> None:
        """Log one step with its duration and status (``success``, ``failure``, ``error``);
        ``details`` is a mapping of fields or a description."""
        level = logging.INFO if status == "success" else logging.WARNING
        fields = {
            "step_name": step_name,
            "duration_ms": round(duration_ms, 3),
            "status": status,
            "event_type": "step_completion",
        }
        extra = {"details": details} if isinstance(details, str) else dict(details or {})
        log_event(level, f"step {step_name}: {status}", {**fields, **extra}, self.logger)

    def log_result(self, result: Result[Any, Any], operation_name: str | None = None) -> None:
        """Log ``result`` as a ``ResultLogEntry`` (ERROR for a Failure)."""
        name = operation_name or self.name
        started = self._started.get(name)
        duration = (time.perf_counter() - started) * 1000.0 if started else 0.0
        emit_entry(result_entry(name, None, result, duration, get_correlation_id()), self.logger)

    def log_performance(
        self,
        operation_name: str,
        duration_ms: float,
        success_count: int = 0,
        failure_count: int = 0,
        additional_metrics: Mapping[str, Any] | None = None,
    ) -> None:
        """Log duration, counts and success rate (0.0 with no operations) of a (batch)
        operation, plus ``additional_metrics``."""
        total = success_count + failure_count
        fields = {
            "operation_name": operation_name,
            "duration_ms": round(duration_ms, 3),
            "total_operations": total,
            "success_count": success_count,
            "failure_count": failure_count,
            "success_rate": round(success_count / total, 4) if total else 0.0,
            "event_type": "performance_metrics",
        }
        log_event(
            logging.INFO,
            f"performance {operation_name}",
            {**fields, **(additional_metrics or {})},
            self.logger,
        )

    def complete_operation(self, operation_name: str, status: str = "success") -> None:
        """Log the end of ``operation_name`` with its total duration."""
        started = self._started.pop(operation_name, None)
        duration = (time.perf_counter() - started) * 1000.0 if started else 0.0
        log_event(
            logging.INFO if status == "success" else logging.WARNING,
            f"operation {operation_name} completed: {status}",
            {
                "operation_name": operation_name,
                "status": status,
                "duration_ms": duration,
                "event_type": "operation_complete",
            },
            self.logger,
        )

    def log_error(
        self,
        error: object,
        operation_name: str | None = None,
        context_details: Mapping[str, Any] | None = None,
    ) -> None:
        """Log an error (an exception, with its traceback, or a Failure's error) of
        ``operation_name``."""
        name = operation_name or "unknown"
        fields: dict[str, Any] = {
            "operation_name": name,
            "error_type": type(error).__name__,
            "error_message": str(error),
            "event_type": "exception_occurred",
            **(context_details or {}),
        }
        if isinstance(error, BaseException):
            fields["traceback"] = "".join(traceback.format_exception(error))
        log_event(logging.ERROR, f"error in {name}: {error}", fields, self.logger)


def configure_result_logging(
    level: LogLevel = LogLevel.INFO,
    format_string: str | None = None,
    include_correlation: bool = True,
) -> logging.Handler:
    """v4's set-up helper: text lines with correlation ids from the ``rfs.result`` loggers (v4's
    ``ResultLogger``, ``LoggingMonoResult``, ``log_result_operation(logger_name=...)``) and from
    ``rfs.monitoring`` (``log_result_operation`` without a logger, ``log_info`` ...), so v4 code
    sees its decorated functions' entries. Returns the one handler installed on both."""
    from rfs.monitoring.logging_setup import attach_handler, configure_logging

    del format_string, include_correlation  # the text formatter always shows the id
    handler = configure_logging(json=False, level=level.value, logger=RESULT_LOGGER)
    attach_handler(handler, LOGGER_NAME, level.value)
    return handler
