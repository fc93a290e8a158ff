"""RFS v4's ``LoggingMonoResult``, ``create_logging_mono`` and ``log_flux_results``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from rfs.monitoring.result_logger import ResultLogger
from rfs.reactive.flux_result import FluxResult
from rfs.reactive.mono_result import MonoResult
from rfs.result import Result

T = TypeVar("T")
E = TypeVar("E")


class LoggingMonoResult(MonoResult[T, E]):
    """A MonoResult whose steps log through a ``ResultLogger`` (v4)."""

    def __init__(
        self,
        async_func: Callable[[], Awaitable[Result[T, E]] | Result[T, E]],
        logger_name: str = "mono",
    ) -> None:
        super().__init__(async_func)
        self._logger = ResultLogger(logger_name)

    async def _call(self) -> Result[T, E]:
        return await MonoResult.to_result(self)

    def log_step(
        self, step_name: str, details: Mapping[str, Any] | str | None = None
    ) -> LoggingMonoResult[T, E]:
        """Log the duration and outcome of everything so far as step ``step_name`` (``details``:
        fields, or a description)."""
        log = self._logger

        async def logged() -> Result[T, E]:
            start = time.perf_counter()
            try:
                result = await self._call()
            except Exception as exc:
                log.log_step(
                    step_name,
                    (time.perf_counter() - start) * 1000,
                    "error",
                    {"exception": str(exc)},
                )
                raise
            status = "success" if result.is_success() else "failure"
            log.log_step(step_name, (time.perf_counter() - start) * 1000, status, details)
            return result

        return LoggingMonoResult(logged, log.name)

    def log_error(self, error_context: str) -> LoggingMonoResult[T, E]:
        """Log a Failure (or an escaping exception) in ``error_context``."""
        log = self._logger

        async def logged() -> Result[T, E]:
            try:
                result = await self._call()
            except Exception as exc:
                log.log_error(exc, error_context)
                raise
            if result.is_failure():
                log.log_error(result.unwrap_error(), error_context)
            return result

        return LoggingMonoResult(logged, log.name)

    def log_performance(self, operation_name: str) -> LoggingMonoResult[T, E]:
        """Log the duration and success/failure count of the whole Mono as ``operation_name``
        (an escaping exception counts as a failure)."""
        log = self._logger

        async def logged() -> Result[T, E]:
            start = time.perf_counter()
            try:
                result = await self._call()
            except Exception as exc:
                elapsed = (time.perf_counter() - start) * 1000
                log.log_performance(operation_name, elapsed, 0, 1, {"exception": str(exc)})
                raise
            ok = 1 if result.is_success() else 0
            log.log_performance(operation_name, (time.perf_counter() - start) * 1000, ok, 1 - ok)
            return result

        return LoggingMonoResult(logged, log.name)


def create_logging_mono(
    async_func: Callable[[], Awaitable[Result[Any, Any]]],
    operation_name: str = "mono_operation",
    logger_name: str = "mono",
) -> LoggingMonoResult[Any, Any]:
    """A ``LoggingMonoResult`` over ``async_func`` logging its performance as ``operation_name``."""
    return LoggingMonoResult(async_func, logger_name).log_performance(operation_name)


async def log_flux_results(
    flux_result: FluxResult[Any, Any], operation_name: str, logger_name: str = "flux"
) -> dict[str, Any]:
    """Log the counts of a FluxResult; returns them with the correlation id (v4)."""
    log = ResultLogger(logger_name)
    start = time.perf_counter()
    total = flux_result.count_total()
    cid = log.start_operation(operation_name, {"total_items": total, "result_type": "FluxResult"})
    success = flux_result.count_success()
    failure = flux_result.count_failures()
    duration_ms = (time.perf_counter() - start) * 1000
    log.log_performance(
        operation_name,
        duration_ms,
        success,
        failure,
        {"total_items": total, "success_rate": success / total if total else 0.0},
    )
    status = "success" if failure == 0 else "partial_success" if success else "failure"
    log.complete_operation(operation_name, status)
    return {
        "correlation_id": cid,
        "total": total,
        "success": success,
        "failure": failure,
        "duration_ms": duration_ms,
    }
