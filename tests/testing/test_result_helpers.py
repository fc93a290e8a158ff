"""Result assertions: they pass on the right Result and fail showing expected and actual."""

from __future__ import annotations

import asyncio

import pytest

from rfs.reactive import FluxResult, MonoResult
from rfs.result import Failure, Result, Success
from rfs.testing import (
    assert_flux_result_stats,
    assert_mono_result_timeout,
    assert_result_error,
    assert_result_success,
)


def test_assert_result_success_returns_the_value() -> None:
    """On a Success (of the right type) the helper returns the value."""
    assert assert_result_success(Success(3)) == 3
    assert assert_result_success(Success("a"), str) == "a"


def test_assert_result_success_failure_messages_show_both_sides() -> None:
    """On a Failure or a wrong type the message shows what was expected and what came."""
    with pytest.raises(AssertionError, match=r"expected Success, got Failure\('boom'\)"):
        assert_result_success(Failure("boom"))
    with pytest.raises(
        AssertionError, match=r"expected Success\(str\), got Success holding 3 \(int\)"
    ):
        assert_result_success(Success(3), str)
    with pytest.raises(AssertionError, match=r"expected Success\(int\), got Failure\('x'\)"):
        assert_result_success(Failure("x"), int)


def test_assert_result_error_returns_the_error() -> None:
    """On a Failure (of the right type) the helper returns the error."""
    error = ValueError("v")
    assert assert_result_error(Failure(error), ValueError) is error
    assert assert_result_error(Failure("e")) == "e"


def test_assert_result_error_failure_messages_show_both_sides() -> None:
    """On a Success or a wrong error type the message shows both."""
    with pytest.raises(AssertionError, match=r"expected Failure, got Success\(1\)"):
        assert_result_error(Success(1))
    with pytest.raises(
        AssertionError, match=r"expected Failure\(KeyError\), got Failure holding 'e' \(str\)"
    ):
        assert_result_error(Failure("e"), KeyError)


async def test_non_results_are_reported() -> None:
    """Passing a MonoResult (not awaited) or a plain value fails with a hint."""
    mono = MonoResult.from_value(1)
    with pytest.raises(AssertionError, match="await it first"):
        assert_result_success(mono)  # type: ignore[call-overload]
    with pytest.raises(AssertionError, match="expected a Result, got 1 \\(int\\)"):
        assert_result_error(1)  # type: ignore[call-overload]


def test_assert_flux_result_stats() -> None:
    """Counts must match exactly; the message shows expected and actual counts and errors."""
    flux = FluxResult.from_results([Success(1), Failure("a"), Success(2)])
    assert_flux_result_stats(flux, 2, 1)
    with pytest.raises(
        AssertionError,
        match=r"expected 3 successes and 0 failures, "
        r"got 2 successes and 1 failures; errors: \['a'\]",
    ):
        assert_flux_result_stats(flux, 3, 0)


async def test_assert_flux_result_stats_needs_a_materialized_flux() -> None:
    """A lazy Flux is refused with the fix (await it) in the message."""

    async def double(v: int) -> int:
        return v * 2

    lazy = FluxResult.from_values([1, 2]).map_async(double)
    with pytest.raises(AssertionError, match="await flux"):
        assert_flux_result_stats(lazy, 2, 0)
    assert_flux_result_stats(await lazy, 2, 0)


async def slow() -> Result[int, str]:
    await asyncio.sleep(10)
    return Success(1)


async def test_assert_mono_result_timeout_passes_on_a_real_timeout() -> None:
    """A Mono timing out after ~seconds passes; the timeout error is returned."""
    mono = MonoResult.from_async_result(slow).timeout(0.05)
    error = await assert_mono_result_timeout(mono, 0.05, tolerance=2.0)
    assert isinstance(error, TimeoutError)


async def test_assert_mono_result_timeout_fails_on_success() -> None:
    """A Mono that succeeds fails the assertion, showing the Result."""
    with pytest.raises(
        AssertionError, match=r"expected a timeout Failure after ~0.05s, got Success\(1\)"
    ):
        await assert_mono_result_timeout(MonoResult.from_value(1), 0.05)


async def test_assert_mono_result_timeout_fails_on_another_failure() -> None:
    """A non-timeout Failure fails the assertion."""
    with pytest.raises(AssertionError, match=r"expected a timeout Failure, got Failure\('nope'\)"):
        await assert_mono_result_timeout(MonoResult.from_error("nope"), 0.05)


async def test_assert_mono_result_timeout_checks_elapsed_time() -> None:
    """A timeout Failure arriving far too early (or late) fails the assertion."""
    early = MonoResult.from_async_result(slow).timeout(0.01)
    with pytest.raises(AssertionError, match=r"expected the timeout after ~0.5s"):
        await assert_mono_result_timeout(early, 0.5)
    late = MonoResult.from_async_result(slow).timeout(0.3)
    with pytest.raises(AssertionError, match=r"got Failure\(.*\) after \d+\.\d+s"):
        await assert_mono_result_timeout(late, 0.01, tolerance=0.05)


async def test_assert_mono_result_timeout_does_not_hang() -> None:
    """A Mono with no timeout that never finishes fails instead of hanging the test."""
    with pytest.raises(AssertionError, match="still running"):
        await assert_mono_result_timeout(MonoResult.from_async_result(slow), 0.01, tolerance=0.01)


async def test_seed_keyword_names_are_accepted() -> None:
    """Seed 004's parameter names work as keywords."""
    assert assert_result_success(Success(1), expected_type=int) == 1
    with pytest.raises(AssertionError, match=r"expected Success\(str\)"):
        assert_result_success(Success(1), expected_type=str)
    assert assert_result_error(Failure("e"), expected_error_type=str) == "e"
    flux = FluxResult.from_results([Success(1), Failure("a")])
    assert_flux_result_stats(flux, expected_success=1, expected_failures=1)
    with pytest.raises(TypeError, match="both counts"):
        assert_flux_result_stats(flux, 1)
    mono = MonoResult.from_async_result(slow).timeout(0.02)
    await assert_mono_result_timeout(mono, timeout_seconds=0.02, tolerance=2.0)
