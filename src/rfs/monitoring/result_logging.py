"""RFS v4's module of the same name: ``from rfs.monitoring.result_logging import ...`` keeps
working. The names live in ``rfs.monitoring``'s modules."""

from __future__ import annotations

from rfs._lazy import lazy_exports

TYPE_CHECKING = False

_C = "rfs.monitoring.context"
_L = "rfs.monitoring.result_logger"
_R = "rfs.monitoring.reactive_logging"
_EXPORTS = {
    "CorrelationContext": _C,
    "get_correlation_id": _C,
    "with_correlation_id": _C,
    "LogLevel": _L,
    "ResultLogger": _L,
    "configure_result_logging": _L,
    "LoggingMonoResult": _R,
    "create_logging_mono": _R,
    "log_flux_results": _R,
    "log_result_operation": "rfs.monitoring.decorator",
}

if TYPE_CHECKING:
    from rfs.monitoring.context import CorrelationContext as CorrelationContext
    from rfs.monitoring.context import get_correlation_id as get_correlation_id
    from rfs.monitoring.context import with_correlation_id as with_correlation_id
    from rfs.monitoring.decorator import log_result_operation as log_result_operation
    from rfs.monitoring.reactive_logging import LoggingMonoResult as LoggingMonoResult
    from rfs.monitoring.reactive_logging import create_logging_mono as create_logging_mono
    from rfs.monitoring.reactive_logging import log_flux_results as log_flux_results
    from rfs.monitoring.result_logger import LogLevel as LogLevel
    from rfs.monitoring.result_logger import ResultLogger as ResultLogger
    from rfs.monitoring.result_logger import configure_result_logging as configure_result_logging

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
