"""Result-aware test helpers: assertions, service mocks, and a pytest plugin (``.plugin``).

Importing this package does not import pytest; the plugin module does, and pytest loads it
through the ``pytest11`` entry point of the ``rfs`` distribution.
"""

from rfs.testing.mocking import ResultServiceMocker, mock_result_service
from rfs.testing.result_helpers import (
    assert_flux_result_stats,
    assert_mono_result_timeout,
    assert_result_error,
    assert_result_success,
)
from rfs.testing.sleep import RecordingSleep

__all__ = [
    "RecordingSleep",
    "ResultServiceMocker",
    "assert_flux_result_stats",
    "assert_mono_result_timeout",
    "assert_result_error",
    "assert_result_success",
    "mock_result_service",
]
