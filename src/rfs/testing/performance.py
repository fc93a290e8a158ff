"""Performance checks for tests: ``PerformanceTestHelper`` and the ``performance_test`` marker."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from rfs.reactive import MonoResult
from rfs.testing.markers import mark

__all__ = ["PerformanceTestHelper", "performance_test"]

logger = logging.getLogger("rfs.testing")
F = TypeVar("F", bound=Callable[..., Any])


class PerformanceTestHelper:
    """Time a ``MonoResult`` against a budget (RFS v4)."""

    @staticmethod
    async def measure_mono_performance(
        mono_result: MonoResult[Any, Any], max_duration_ms: float = 1000.0
    ) -> dict[str, Any]:
        """Await the Mono; report ``duration_ms``, ``is_within_limit`` and ``success``.

        An exception raised by the Mono is reported under ``"exception"`` (not raised), and
        counts as outside the limit.
        """
        timestamp = time.time()
        start = time.perf_counter()
        data: dict[str, Any] = {"max_duration_ms": max_duration_ms, "timestamp": timestamp}
        try:
            result = await mono_result.to_result()
        except Exception as exc:
            data.update(
                duration_ms=(time.perf_counter() - start) * 1000,
                is_within_limit=False,
                success=False,
                exception=str(exc),
            )
            return data
        duration_ms = (time.perf_counter() - start) * 1000
        within = duration_ms <= max_duration_ms
        data.update(duration_ms=duration_ms, is_within_limit=within, success=result.is_success())
        if not within:
            logger.warning(
                "performance budget exceeded: %.1fms > %.1fms", duration_ms, max_duration_ms
            )
        return data

    @staticmethod
    def assert_performance(performance_data: dict[str, Any]) -> None:
        """Assert a measurement stayed within its budget."""
        if not performance_data["is_within_limit"]:
            raise AssertionError(
                f"Performance test failed: {performance_data['duration_ms']:.1f}ms > "
                f"{performance_data['max_duration_ms']}ms"
            )


def performance_test(max_duration_ms: float = 1000.0) -> Callable[[F], F]:
    """Mark a test ``performance_test`` and record its budget (``__performance_max_duration__``)."""

    def decorate(func: F) -> F:
        marked = mark("performance_test", func)
        marked.__performance_max_duration__ = max_duration_ms  # type: ignore[attr-defined]
        return marked

    return decorate
