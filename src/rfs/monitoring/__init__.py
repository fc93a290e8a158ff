"""Observability for Result-returning code: structured Result logging with correlation ids and
masking, per-operation metrics over sliding windows, Prometheus/OpenTelemetry exporters, alerts.

Names load lazily (PEP 562): importing ``rfs.monitoring`` or ``rfs.monitoring.hook`` is cheap, and
subsystems import only ``hook`` and ``context``.
"""

from __future__ import annotations

from rfs._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing

_C = "rfs.monitoring.context"
_EXPORTS = {
    "CORRELATION_HEADER": _C,
    "CorrelationContext": _C,
    "correlation_headers": _C,
    "correlation_scope": _C,
    "current_correlation_id": _C,
    "current_operation": _C,
    "get_correlation_id": _C,
    "new_correlation_id": _C,
    "reset_correlation_id": _C,
    "set_correlation_id": _C,
    "with_correlation_id": _C,
    "ResultLogEntry": "rfs.monitoring.entries",
    "log_debug": "rfs.monitoring.logs",
    "log_error": "rfs.monitoring.logs",
    "log_info": "rfs.monitoring.logs",
    "log_warning": "rfs.monitoring.logs",
    "log_result_operation": "rfs.monitoring.decorator",
    "LogLevel": "rfs.monitoring.result_logger",
    "ResultLogger": "rfs.monitoring.result_logger",
    "configure_result_logging": "rfs.monitoring.result_logger",
    "LoggingMonoResult": "rfs.monitoring.reactive_logging",
    "create_logging_mono": "rfs.monitoring.reactive_logging",
    "log_flux_results": "rfs.monitoring.reactive_logging",
    "configure_logging": "rfs.monitoring.logging_setup",
    "get_log_level": "rfs.monitoring.logging_setup",
    "set_log_level": "rfs.monitoring.logging_setup",
    "MASK": "rfs.monitoring.masking",
    "Masker": "rfs.monitoring.masking",
    "configure_masking": "rfs.monitoring.masking",
    "get_masker": "rfs.monitoring.masking",
    "mask_fields": "rfs.monitoring.masking",
    "LogSketch": "rfs.monitoring.sketch",
    "MetricType": "rfs.monitoring.v4_metrics",
    "MetricsError": "rfs.monitoring.metrics",
    "OperationMetrics": "rfs.monitoring.metrics",
    "ResultMetricsCollector": "rfs.monitoring.metrics",
    "collect_flux_result_metric": "rfs.monitoring.generic",
    "collect_result_metric": "rfs.monitoring.generic",
    "disable_monitoring": "rfs.monitoring.metrics",
    "enable_monitoring": "rfs.monitoring.metrics",
    "get_metrics_summary": "rfs.monitoring.generic",
    "AlertConfigError": "rfs.monitoring.alerts",
    "AlertManager": "rfs.monitoring.alerts",
    "AlertRule": "rfs.monitoring.alerts",
    "get_alert_manager": "rfs.monitoring.alerts",
    "parse_rule": "rfs.monitoring.alerts",
    "setup_default_alerts": "rfs.monitoring.generic",
    "AlertCondition": "rfs.monitoring.v4_alerts",
    "ResultAlertManager": "rfs.monitoring.generic",
    "create_alert_rule": "rfs.monitoring.generic",
    "Deliverer": "rfs.monitoring.delivery",
    "collect_metric": "rfs.monitoring.generic",
    "get_dashboard_data": "rfs.monitoring.generic",
    "reset_metrics": "rfs.monitoring.generic",
    "start_monitoring": "rfs.monitoring.generic",
    "stop_monitoring": "rfs.monitoring.generic",
    "bind_correlation_id": _C,
}


if TYPE_CHECKING:  # the lazy names, typed for checkers
    from rfs.monitoring.alerts import AlertConfigError as AlertConfigError
    from rfs.monitoring.alerts import AlertManager as AlertManager
    from rfs.monitoring.alerts import AlertRule as AlertRule
    from rfs.monitoring.alerts import get_alert_manager as get_alert_manager
    from rfs.monitoring.alerts import parse_rule as parse_rule
    from rfs.monitoring.context import CORRELATION_HEADER as CORRELATION_HEADER
    from rfs.monitoring.context import CorrelationContext as CorrelationContext
    from rfs.monitoring.context import bind_correlation_id as bind_correlation_id
    from rfs.monitoring.context import correlation_headers as correlation_headers
    from rfs.monitoring.context import correlation_scope as correlation_scope
    from rfs.monitoring.context import current_correlation_id as current_correlation_id
    from rfs.monitoring.context import current_operation as current_operation
    from rfs.monitoring.context import get_correlation_id as get_correlation_id
    from rfs.monitoring.context import new_correlation_id as new_correlation_id
    from rfs.monitoring.context import reset_correlation_id as reset_correlation_id
    from rfs.monitoring.context import set_correlation_id as set_correlation_id
    from rfs.monitoring.context import with_correlation_id as with_correlation_id
    from rfs.monitoring.decorator import log_result_operation as log_result_operation
    from rfs.monitoring.delivery import Deliverer as Deliverer
    from rfs.monitoring.entries import ResultLogEntry as ResultLogEntry
    from rfs.monitoring.generic import ResultAlertManager as ResultAlertManager
    from rfs.monitoring.generic import collect_flux_result_metric as collect_flux_result_metric
    from rfs.monitoring.generic import collect_metric as collect_metric
    from rfs.monitoring.generic import collect_result_metric as collect_result_metric
    from rfs.monitoring.generic import create_alert_rule as create_alert_rule
    from rfs.monitoring.generic import get_dashboard_data as get_dashboard_data
    from rfs.monitoring.generic import get_metrics_summary as get_metrics_summary
    from rfs.monitoring.generic import reset_metrics as reset_metrics
    from rfs.monitoring.generic import setup_default_alerts as setup_default_alerts
    from rfs.monitoring.generic import start_monitoring as start_monitoring
    from rfs.monitoring.generic import stop_monitoring as stop_monitoring
    from rfs.monitoring.logging_setup import configure_logging as configure_logging
    from rfs.monitoring.logging_setup import get_log_level as get_log_level
    from rfs.monitoring.logging_setup import set_log_level as set_log_level
    from rfs.monitoring.logs import log_debug as log_debug
    from rfs.monitoring.logs import log_error as log_error
    from rfs.monitoring.logs import log_info as log_info
    from rfs.monitoring.logs import log_warning as log_warning
    from rfs.monitoring.masking import MASK as MASK
    from rfs.monitoring.masking import Masker as Masker
    from rfs.monitoring.masking import configure_masking as configure_masking
    from rfs.monitoring.masking import get_masker as get_masker
    from rfs.monitoring.masking import mask_fields as mask_fields
    from rfs.monitoring.metrics import MetricsError as MetricsError
    from rfs.monitoring.metrics import OperationMetrics as OperationMetrics
    from rfs.monitoring.metrics import ResultMetricsCollector as ResultMetricsCollector
    from rfs.monitoring.metrics import disable_monitoring as disable_monitoring
    from rfs.monitoring.metrics import enable_monitoring as enable_monitoring
    from rfs.monitoring.reactive_logging import LoggingMonoResult as LoggingMonoResult
    from rfs.monitoring.reactive_logging import create_logging_mono as create_logging_mono
    from rfs.monitoring.reactive_logging import log_flux_results as log_flux_results
    from rfs.monitoring.result_logger import LogLevel as LogLevel
    from rfs.monitoring.result_logger import ResultLogger as ResultLogger
    from rfs.monitoring.result_logger import configure_result_logging as configure_result_logging
    from rfs.monitoring.sketch import LogSketch as LogSketch
    from rfs.monitoring.v4_alerts import AlertCondition as AlertCondition
    from rfs.monitoring.v4_metrics import MetricType as MetricType

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
