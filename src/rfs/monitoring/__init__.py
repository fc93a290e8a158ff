"""Observability for Result-returning code: structured Result logging with correlation ids and
masking, per-operation metrics over sliding windows, Prometheus/OpenTelemetry exporters, alerts.

Names load lazily (PEP 562): importing ``rfs.monitoring`` or ``rfs.monitoring.hook`` is cheap, and
subsystems import only ``hook`` and ``context``.
"""

from __future__ import annotations

from rfs._lazy import lazy_exports

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
    "MetricType": "rfs.monitoring.metrics",
    "MetricsError": "rfs.monitoring.metrics",
    "OperationMetrics": "rfs.monitoring.metrics",
    "ResultMetricsCollector": "rfs.monitoring.metrics",
    "collect_flux_result_metric": "rfs.monitoring.metrics",
    "collect_result_metric": "rfs.monitoring.metrics",
    "disable_monitoring": "rfs.monitoring.metrics",
    "enable_monitoring": "rfs.monitoring.metrics",
    "get_metrics_summary": "rfs.monitoring.metrics",
    "AlertConfigError": "rfs.monitoring.alerts",
    "AlertManager": "rfs.monitoring.alerts",
    "AlertRule": "rfs.monitoring.alerts",
    "get_alert_manager": "rfs.monitoring.alerts",
    "parse_rule": "rfs.monitoring.alerts",
    "setup_default_alerts": "rfs.monitoring.alerts",
    "Deliverer": "rfs.monitoring.delivery",
    "collect_metric": "rfs.monitoring.generic",
    "get_dashboard_data": "rfs.monitoring.generic",
    "reset_metrics": "rfs.monitoring.generic",
    "start_monitoring": "rfs.monitoring.generic",
    "stop_monitoring": "rfs.monitoring.generic",
    "bind_correlation_id": _C,
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
