"""Test data: ``ResultTestDataFactory`` (RFS v4) builds Results, Monos and Fluxes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from rfs.reactive import FluxResult, MonoResult
from rfs.result import Failure, Result, Success

__all__ = ["ResultTestDataFactory"]

T = TypeVar("T")
E = TypeVar("E")


class ResultTestDataFactory:
    """Ready-made Results for tests (every method is a staticmethod, as in v4)."""

    @staticmethod
    def create_success_result(value: Any = "test_value") -> Result[Any, str]:
        return Success(value)

    @staticmethod
    def create_failure_result(error: Any = "test_error") -> Result[str, Any]:
        return Failure(error)

    @staticmethod
    def create_success_mono(value: Any = "test_value") -> MonoResult[Any, str]:
        return MonoResult.from_value(value)

    @staticmethod
    def create_failure_mono(error: Any = "test_error") -> MonoResult[str, Any]:
        return MonoResult.from_error(error)

    @staticmethod
    def create_mixed_flux(
        success_values: Iterable[T], error_values: Iterable[E]
    ) -> FluxResult[T, E]:
        """The Successes first, then the Failures."""
        results: list[Result[T, E]] = [Success(value) for value in success_values]
        results.extend(Failure(error) for error in error_values)
        return FluxResult.from_results(results)

    @staticmethod
    def create_all_success_flux(values: Iterable[T]) -> FluxResult[T, str]:
        return FluxResult.from_values(values)

    @staticmethod
    def create_all_failure_flux(errors: Iterable[E]) -> FluxResult[str, E]:
        return FluxResult.from_results([Failure(error) for error in errors])
