"""RFS v4's ``ResultLogger`` and ``LogLevel``: an operation/step logger over ``rfs.monitoring``'s
structured entries (logger ``rfs.result.<name>`` as in v4)."""

from __future__ import annotations

import logging
import time
from enum import StrEnum
from typing import Any

from rfs.monitoring.context import get_correlation_id
from rfs.monitoring.decorator import result_entry
from rfs.monitoring.logs import emit_entry, log_event
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
        self.logger = logging.getLogger(f"rfs.result.{name}")
        self._started: dict[str, float] = {}

    def start_operation(self, operation_name: str, metadata: dict[str, Any] | None = None) -> str:
        """Log the start of ``operation_name``; returns the correlation id it runs under."""
        cid = get_correlation_id()
        self._started[operation_name] = time.perf_counter()
        log_event(
            logging.INFO,
            f"operation {operation_name} started",
            {"operation_name": operation_name, "metadata": metadata or {}},
            self.logger,
        )
        return cid

    def log_step(
        self,
        step_name: str,
        duration_ms: float,
        status: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Log one step with its duration and status (``success``, ``failure``, ``error``)."""
        level = logging.INFO if status == "success" else logging.WARNING
        fields = {"step_name": step_name, "duration_ms": round(duration_ms, 3), "status": status}
        log_event(level, f"step {step_name}: {status}", {**fields, **(details or {})}, self.logger)

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
        success_count: int = 1,
        failure_count: int = 0,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Log counts and duration of a (batch) operation."""
        fields = {
            "operation_name": operation_name,
            "duration_ms": round(duration_ms, 3),
            "success_count": success_count,
            "failure_count": failure_count,
        }
        log_event(
            logging.INFO,
            f"performance {operation_name}",
            {**fields, **(details or {})},
            self.logger,
        )

    def complete_operation(self, operation_name: str, status: str = "success") -> None:
        """Log the end of ``operation_name`` with its total duration."""
        started = self._started.pop(operation_name, None)
        duration = (time.perf_counter() - started) * 1000.0 if started else 0.0
        log_event(
            logging.INFO if status == "success" else logging.WARNING,
            f"operation {operation_name} completed: {status}",
            {"operation_name": operation_name, "status": status, "duration_ms": duration},
            self.logger,
        )

    def log_error(self, error: object, context: str, details: dict[str, Any] | None = None) -> None:
        """Log an error (an exception or a Failure's error) in ``context``."""
        fields = {
            "error_type": type(error).__name__,
            "error_message": str(error),
            "context": context,
        }
        log_event(
            logging.ERROR,
            f"error in {context}: {error}",
            {**fields, **(details or {})},
            self.logger,
        )


def configure_result_logging(
    level: LogLevel = LogLevel.INFO,
    format_string: str | None = None,
    include_correlation: bool = True,
) -> logging.Handler:
    """v4's set-up helper: text lines with correlation ids on the ``rfs.result`` loggers."""
    from rfs.monitoring.logging_setup import configure_logging

    del format_string, include_correlation  # the text formatter always shows the id
    return configure_logging(json=False, level=level.value, logger="rfs.result")
