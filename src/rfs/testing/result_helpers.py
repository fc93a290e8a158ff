"""Result-aware test assertions; each failure message shows the expected and the actual Result."""

from __future__ import annotations

import asyncio
import builtins
import time
from typing import Any, TypeVar, overload

from rfs.reactive import FluxResult, MonoResult
from rfs.result import Failure, Result, Success
from rfs.testing.fixtures import (
    failure_result,
    performance_helper,
    result_factory,
    result_test_context,
    success_mono,
    success_result,
)
from rfs.testing.generators import ResultTestDataFactory
from rfs.testing.markers import flux_test, mono_test, result_test
from rfs.testing.mocking import MockCallRecord, ResultServiceMocker, mock_result_service
from rfs.testing.performance import PerformanceTestHelper, performance_test
from rfs.testing.result_helpers_v4 import (
    assert_flux_failure_count,
    assert_flux_success_count,
    assert_flux_success_rate,
    assert_flux_success_values,
    assert_flux_total_count,
    assert_mono_result_failure,
    assert_mono_result_success,
    assert_mono_result_value,
    assert_result_failure,
    assert_result_value,
)

__all__ = [
    "MockCallRecord",
    "PerformanceTestHelper",
    "ResultServiceMocker",
    "ResultTestDataFactory",
    "assert_flux_failure_count",
    "assert_flux_result_stats",
    "assert_flux_success_count",
    "assert_flux_success_rate",
    "assert_flux_success_values",
    "assert_flux_total_count",
    "assert_mono_result_failure",
    "assert_mono_result_success",
    "assert_mono_result_timeout",
    "assert_mono_result_value",
    "assert_result_error",
    "assert_result_failure",
    "assert_result_success",
    "assert_result_value",
    "failure_result",
    "flux_test",
    "mock_result_service",
    "mono_test",
    "performance_helper",
    "performance_test",
    "result_factory",
    "result_test",
    "result_test_context",
    "success_mono",
    "success_result",
]

T = TypeVar("T")
E = TypeVar("E")


def _describe(value: object) -> str:
    return f"{value!r} ({builtins.type(value).__name__})"


def _check_is_result(result: object, helper: str) -> None:
    if isinstance(result, Result):
        return
    hint = " (await it first)" if isinstance(result, MonoResult) else ""
    raise AssertionError(f"{helper}: expected a Result, got {_describe(result)}{hint}")


def _assert_variant(
    result: object, helper: str, variant: builtins.type[Any], type: builtins.type[Any] | None
) -> Any:
    """Check ``result`` is ``variant`` holding a ``type``; return what it holds."""
    _check_is_result(result, helper)
    name = variant.__name__
    wanted = f"{name}({type.__name__})" if type is not None else name
    if not isinstance(result, variant):
        raise AssertionError(f"expected {wanted}, got {result!r}")
    content = result.value if variant is Success else result.error
    if type is not None and not isinstance(content, type):
        raise AssertionError(f"expected {wanted}, got {name} holding {_describe(content)}")
    return content


@overload
def assert_result_success(result: Result[Any, Any], type: builtins.type[T]) -> T: ...
@overload
def assert_result_success(result: Result[Any, Any], *, expected_type: builtins.type[T]) -> T: ...
@overload
def assert_result_success(result: Result[T, Any], type: None = None) -> T: ...
def assert_result_success(
    result: Result[Any, Any],
    type: builtins.type[Any] | None = None,
    *,
    expected_type: builtins.type[Any] | None = None,
) -> Any:
    """Assert ``result`` is a Success (whose value is an instance of ``type``); return the value.

    ``expected_type`` is seed 004's name for ``type``.
    """
    wanted = type if type is not None else expected_type
    return _assert_variant(result, "assert_result_success", Success, wanted)


@overload
def assert_result_error(result: Result[Any, Any], type: builtins.type[E]) -> E: ...
@overload
def assert_result_error(
    result: Result[Any, Any], *, expected_error_type: builtins.type[E]
) -> E: ...
@overload
def assert_result_error(result: Result[Any, E], type: object = None) -> E: ...
def assert_result_error(
    result: Result[Any, Any],
    type: object = None,
    *,
    expected_error_type: builtins.type[Any] | None = None,
    expected_error: object = None,
) -> Any:
    """Assert ``result`` is a Failure; return the error.

    The second argument is a type (the error must be an instance, or equal to it) or, as in
    RFS v4 (``expected_error=``), a value the error must equal. ``expected_error_type`` is
    seed 004's name for a type.
    """
    wanted = type if type is not None else expected_error_type
    if wanted is None and expected_error is not None:
        wanted = expected_error
    if wanted is None or isinstance(wanted, builtins.type):
        _check_is_result(result, "assert_result_error")
        if isinstance(result, Failure) and result.error == wanted and wanted is not None:
            return result.error
        return _assert_variant(result, "assert_result_error", Failure, wanted)
    error = _assert_variant(result, "assert_result_error", Failure, None)
    if error != wanted:
        raise AssertionError(f"Expected error {wanted!r}, got {error!r}")
    return error


def assert_flux_result_stats(
    flux: FluxResult[Any, Any],
    successes: int | None = None,
    failures: int | None = None,
    *,
    expected_success: int | None = None,
    expected_failures: int | None = None,
) -> None:
    """Assert a materialized Flux holds exactly ``successes`` Successes and ``failures`` Failures.

    A lazy Flux must be awaited first: ``assert_flux_result_stats(await flux, 3, 1)``.
    ``expected_success`` / ``expected_failures`` are seed 004's names for the counts.
    """
    successes = successes if successes is not None else expected_success
    failures = failures if failures is not None else expected_failures
    if successes is None or failures is None:
        raise TypeError("assert_flux_result_stats needs both counts: (flux, successes, failures)")
    if not isinstance(flux, FluxResult):
        raise AssertionError(f"assert_flux_result_stats: expected a FluxResult, got {flux!r}")
    if not flux.is_materialized:
        raise AssertionError(
            "assert_flux_result_stats: the FluxResult is a lazy async stream; pass `await flux`"
        )
    got_successes, got_failures = flux.count_success(), flux.count_failures()
    if (got_successes, got_failures) != (successes, failures):
        errors = flux.failures()
        shown = f"; errors: {errors[:5]!r}{' ...' if len(errors) > 5 else ''}" if errors else ""
        raise AssertionError(
            f"expected {successes} successes and {failures} failures, "
            f"got {got_successes} successes and {got_failures} failures{shown}"
        )


async def assert_mono_result_timeout(
    mono: MonoResult[Any, Any],
    seconds: float | None = None,
    *,
    tolerance: float = 0.5,
    timeout_seconds: float | None = None,
) -> Any:
    """Await ``mono`` and assert it ended in a timeout Failure after about ``seconds``.

    The error must be a ``TimeoutError`` (or mention "timeout"), and the elapsed time must
    lie within ``[0.9 * seconds, seconds + tolerance]``. A Mono still running well past that
    window fails the assertion rather than hanging the test. Returns the error.
    ``timeout_seconds`` is seed 004's name for ``seconds``.
    """
    seconds = seconds if seconds is not None else timeout_seconds
    if seconds is None:
        raise TypeError("assert_mono_result_timeout needs the expected seconds")
    if not isinstance(mono, MonoResult):
        raise AssertionError(f"assert_mono_result_timeout: expected a MonoResult, got {mono!r}")
    limit = seconds + tolerance
    start = time.perf_counter()
    try:
        async with asyncio.timeout(limit + 1.0):
            result = await mono.to_result()
    except TimeoutError:
        elapsed = time.perf_counter() - start
        raise AssertionError(
            f"expected a timeout Failure after ~{seconds:g}s, "
            f"but the MonoResult was still running after {elapsed:.3f}s"
        ) from None
    elapsed = time.perf_counter() - start
    if not isinstance(result, Failure):
        raise AssertionError(
            f"expected a timeout Failure after ~{seconds:g}s, got {result!r} after {elapsed:.3f}s"
        )
    error = result.error
    if not (isinstance(error, TimeoutError) or "timeout" in str(error).lower()):
        raise AssertionError(f"expected a timeout Failure, got {result!r} after {elapsed:.3f}s")
    if not seconds * 0.9 <= elapsed <= limit:
        raise AssertionError(
            f"expected the timeout after ~{seconds:g}s (within {seconds * 0.9:.3f}s.."
            f"{limit:.3f}s), got {result!r} after {elapsed:.3f}s"
        )
    return error
