"""Shared test fixtures: RFS v4's ``result_test_context`` and the fixture functions.

The plugin (:mod:`rfs.testing.plugin`) registers ``result_factory``, ``success_result``,
``failure_result``, ``success_mono`` and ``performance_helper`` as pytest fixtures from the
plain functions here, so this module does not import pytest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from rfs.reactive import MonoResult
from rfs.result import Result
from rfs.testing.generators import ResultTestDataFactory
from rfs.testing.mocking import ResultServiceMocker
from rfs.testing.performance import PerformanceTestHelper

__all__ = [
    "failure_result",
    "performance_helper",
    "result_factory",
    "result_test_context",
    "success_mono",
    "success_result",
]

logger = logging.getLogger("rfs.testing")


@asynccontextmanager
async def result_test_context(
    service_mocks: Mapping[str, ResultServiceMocker] | None = None,
    performance_tracking: bool = False,
) -> AsyncIterator[dict[str, Any]]:
    """A dict of ``service_mocks``, ``performance_data`` (a list when tracking) and ``start_time``.

    On exit every mocker's recorded calls are reset, even when the block raised.
    """
    context: dict[str, Any] = {
        "service_mocks": dict(service_mocks or {}),
        "performance_data": [] if performance_tracking else None,
        "start_time": time.time(),
    }
    try:
        yield context
    finally:
        for mocker in context["service_mocks"].values():
            mocker.reset_mock()
        if context["performance_data"]:
            logger.info(
                "test finished in %.2fs with %d performance measurements",
                time.time() - context["start_time"],
                len(context["performance_data"]),
            )


def result_factory() -> ResultTestDataFactory:
    """A ``ResultTestDataFactory``."""
    return ResultTestDataFactory()


def success_result() -> Result[str, str]:
    """``Success("fixture_value")``."""
    return ResultTestDataFactory.create_success_result("fixture_value")


def failure_result() -> Result[str, str]:
    """``Failure("fixture_error")``."""
    return ResultTestDataFactory.create_failure_result("fixture_error")


def success_mono() -> MonoResult[str, str]:
    """A Mono of ``Success("fixture_mono_value")``."""
    return ResultTestDataFactory.create_success_mono("fixture_mono_value")


def performance_helper() -> PerformanceTestHelper:
    """A ``PerformanceTestHelper``."""
    return PerformanceTestHelper()
