"""RFS v4's remaining Result assertions (``assert_result_value``, ``assert_flux_*``...).

Messages keep v4's wording, with the values shown by ``repr``.
"""

from __future__ import annotations

import builtins
from typing import Any

from rfs.reactive import FluxResult, MonoResult
from rfs.result import Failure, Result, Success

__all__ = [
    "assert_flux_failure_count",
    "assert_flux_success_count",
    "assert_flux_success_rate",
    "assert_flux_success_values",
    "assert_flux_total_count",
    "assert_mono_result_failure",
    "assert_mono_result_success",
    "assert_mono_result_value",
    "assert_result_failure",
    "assert_result_value",
]


def _success(result: object, expected_type: builtins.type[Any] | None = None) -> Any:
    if not isinstance(result, Success):
        raise AssertionError(f"Expected success but got {result!r}")
    if expected_type is not None and not isinstance(result.value, expected_type):
        raise AssertionError(
            f"Expected type {expected_type.__name__}, got {type(result.value).__name__}"
        )
    return result.value


def assert_result_failure(
    result: Result[Any, Any], expected_error_type: builtins.type[Any] | None = None
) -> Any:
    """Assert a Failure (whose error is an ``expected_error_type``); return the error."""
    if not isinstance(result, Failure):
        raise AssertionError(f"Expected failure but got {result!r}")
    if expected_error_type is not None and not isinstance(result.error, expected_error_type):
        raise AssertionError(
            f"Expected error type {expected_error_type.__name__}, got {type(result.error).__name__}"
        )
    return result.error


def assert_result_value(result: Result[Any, Any], expected_value: Any) -> Any:
    """Assert a Success whose value equals ``expected_value``."""
    value = _success(result)
    if value != expected_value:
        raise AssertionError(f"Expected value {expected_value!r}, got {value!r}")
    return value


async def assert_mono_result_success(
    mono_result: MonoResult[Any, Any], expected_type: builtins.type[Any] | None = None
) -> Any:
    """Await the Mono and assert a Success (of ``expected_type``); return the value."""
    return _success(await mono_result.to_result(), expected_type)


async def assert_mono_result_failure(
    mono_result: MonoResult[Any, Any], expected_error_type: builtins.type[Any] | None = None
) -> Any:
    """Await the Mono and assert a Failure (of ``expected_error_type``); return the error."""
    return assert_result_failure(await mono_result.to_result(), expected_error_type)


async def assert_mono_result_value(mono_result: MonoResult[Any, Any], expected_value: Any) -> Any:
    """Await the Mono and assert a Success equal to ``expected_value``."""
    return assert_result_value(await mono_result.to_result(), expected_value)


def _materialized(flux: FluxResult[Any, Any], helper: str) -> FluxResult[Any, Any]:
    if not isinstance(flux, FluxResult):
        raise AssertionError(f"{helper}: expected a FluxResult, got {flux!r}")
    if not flux.is_materialized:
        raise AssertionError(f"{helper}: the FluxResult is a lazy async stream; pass `await flux`")
    return flux


def _assert_count(actual: int, expected: int, what: str) -> None:
    if actual != expected:
        raise AssertionError(f"Expected {expected} {what}, got {actual}")


def assert_flux_success_count(flux_result: FluxResult[Any, Any], expected_count: int) -> None:
    flux = _materialized(flux_result, "assert_flux_success_count")
    _assert_count(flux.count_success(), expected_count, "successes")


def assert_flux_failure_count(flux_result: FluxResult[Any, Any], expected_count: int) -> None:
    flux = _materialized(flux_result, "assert_flux_failure_count")
    _assert_count(flux.count_failures(), expected_count, "failures")


def assert_flux_total_count(flux_result: FluxResult[Any, Any], expected_count: int) -> None:
    flux = _materialized(flux_result, "assert_flux_total_count")
    _assert_count(flux.count_total(), expected_count, "total items")


def assert_flux_success_rate(
    flux_result: FluxResult[Any, Any], expected_rate: float, tolerance: float = 0.01
) -> None:
    """Assert the success rate is within ``tolerance`` of ``expected_rate``."""
    rate = _materialized(flux_result, "assert_flux_success_rate").success_rate()
    if abs(rate - expected_rate) > tolerance:
        raise AssertionError(f"Expected success rate {expected_rate}, got {rate}")


async def assert_flux_success_values(
    flux_result: FluxResult[Any, Any], expected_values: list[Any]
) -> None:
    """Assert the success values, in order (a lazy Flux is run first)."""
    values = (await flux_result).success_values()
    if values != expected_values:
        raise AssertionError(f"Expected success values {expected_values!r}, got {values!r}")
