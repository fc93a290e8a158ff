"""rfs.testing under RFS v4's names: assertions, factory, performance, markers, mocker."""

from __future__ import annotations

import pytest

from rfs.reactive import FluxResult, MonoResult
from rfs.result import Failure, Success
from rfs.testing import (
    PerformanceTestHelper,
    ResultServiceMocker,
    ResultTestDataFactory,
    assert_flux_failure_count,
    assert_flux_success_count,
    assert_flux_success_rate,
    assert_flux_success_values,
    assert_flux_total_count,
    assert_mono_result_failure,
    assert_mono_result_success,
    assert_mono_result_value,
    assert_result_error,
    assert_result_failure,
    assert_result_value,
    mock_result_service,
    result_test,
    result_test_context,
)


def test_value_assertions_compare_values() -> None:
    """assert_result_value/error compare values (v4); a type still checks isinstance."""
    assert assert_result_value(Success(3), 3) == 3
    assert assert_result_error(Failure("not found"), "not found") == "not found"
    assert assert_result_error(Failure("x"), expected_error="x") == "x"
    with pytest.raises(AssertionError, match="Expected error 'other', got 'x'"):
        assert_result_error(Failure("x"), "other")
    with pytest.raises(AssertionError, match="Expected value 4, got 3"):
        assert_result_value(Success(3), 4)
    assert isinstance(assert_result_failure(Failure(KeyError("k")), KeyError), KeyError)
    with pytest.raises(AssertionError, match="Expected failure"):
        assert_result_failure(Success(1))


async def test_mono_and_flux_assertions() -> None:
    """assert_mono_result_* await the Mono; assert_flux_* check counts, rate and values."""
    assert await assert_mono_result_success(MonoResult.from_value(1), int) == 1
    assert await assert_mono_result_failure(MonoResult.from_error("e")) == "e"
    assert await assert_mono_result_value(MonoResult.from_value("v"), "v") == "v"
    flux = ResultTestDataFactory.create_mixed_flux([1, 2, 3], ["e"])
    assert_flux_success_count(flux, 3)
    assert_flux_failure_count(flux, 1)
    assert_flux_total_count(flux, 4)
    assert_flux_success_rate(flux, 0.75)
    await assert_flux_success_values(flux, [1, 2, 3])
    with pytest.raises(AssertionError, match="Expected 2 failures, got 1"):
        assert_flux_failure_count(flux, 2)
    lazy = FluxResult.from_values([1]).map_async(lambda n: n)
    await assert_flux_success_values(lazy, [1])


def test_factory_builds_each_kind() -> None:
    """ResultTestDataFactory's defaults match v4's."""
    factory = ResultTestDataFactory
    assert factory.create_success_result() == Success("test_value")
    assert factory.create_failure_result() == Failure("test_error")
    assert factory.create_all_failure_flux(["a", "b"]).count_failures() == 2
    assert factory.create_all_success_flux([1]).success_values() == [1]


async def test_performance_helper_measures_and_asserts() -> None:
    """measure_mono_performance reports the duration; assert_performance enforces the budget."""
    data = await PerformanceTestHelper.measure_mono_performance(MonoResult.from_value(1), 1000.0)
    assert data["success"] and data["is_within_limit"] and data["duration_ms"] >= 0
    PerformanceTestHelper.assert_performance(data)
    with pytest.raises(AssertionError, match="Performance test failed"):
        PerformanceTestHelper.assert_performance({**data, "is_within_limit": False})


@result_test
def test_markers_apply_registered_pytest_marks(request: pytest.FixtureRequest) -> None:
    """@result_test applies the result_test mark, accepted under --strict-markers."""
    assert request.node.get_closest_marker("result_test") is not None


def test_v4_fixtures(
    success_result: object, failure_result: object, result_factory: object
) -> None:
    """The plugin provides v4's fixtures."""
    assert success_result == Success("fixture_value") and failure_result == Failure("fixture_error")
    assert isinstance(result_factory, ResultTestDataFactory)


async def test_v4_multi_method_mocker_and_label_context() -> None:
    """ResultServiceMocker(name) mocks methods by name, records calls, asserts per method."""
    mocker = ResultServiceMocker("user_service")
    get_user = mocker.return_success("get_user", {"id": 1})
    assert get_user("1") == Success({"id": 1})
    mocker.assert_called_once("get_user")
    mocker.assert_called_with("get_user", "1")
    mocker.assert_not_called("delete_user")
    assert mocker.get_call_args("get_user") == ("1",) and mocker.get_call_count("get_user") == 1
    mocker.return_sequence("next", [1, 2])
    assert [mocker.get_mock("next")(), mocker.get_mock("next")()] == [1, 2]
    mono = mocker.return_mono_failure("load", "down")
    assert await mono() == Failure("down")
    with pytest.raises(AssertionError, match="was not called with"):
        mocker.assert_called_with("get_user", "2")
    with mock_result_service("user_service", "get", "list") as labelled:
        labelled.get_mock("list")()
        labelled.assert_called("list")
    async with result_test_context({"users": mocker}) as context:
        assert context["service_mocks"]["users"] is mocker
    assert mocker.call_records == []  # reset on exit
