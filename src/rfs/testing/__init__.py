"""Result-aware test helpers: assertions, service mocks, data, and a pytest plugin (``.plugin``).

Importing this package imports neither pytest nor the reactive types: names load on first
use. The plugin module imports pytest, and pytest loads it through the ``pytest11`` entry
point of the ``rfs`` distribution. RFS v4's ``rfs.testing`` names are all here.
"""

from rfs._lazy import lazy_exports

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rfs.testing.result_helpers import *  # noqa: F403
    from rfs.testing.sleep import RecordingSleep as RecordingSleep

_HELPERS = "rfs.testing.result_helpers"
_EXPORTS = {
    "RecordingSleep": "rfs.testing.sleep",
    **{
        name: _HELPERS
        for name in (
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
            "flux_test",
            "mock_result_service",
            "mono_test",
            "performance_test",
            "result_test",
            "result_test_context",
        )
    },
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
