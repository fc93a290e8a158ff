"""RFS v4's module-level metric helpers (v4's ``rfs.monitoring.metrics`` functions) over the
process-wide collector and alert manager: ``collect_metric`` and the Result and FluxResult
helpers, v4's summary and dashboard dicts, v4's threshold rules (``create_alert_rule``), the
default alerts, monitoring on and off, and the name ``ResultAlertManager``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from rfs.monitoring import hook
from rfs.monitoring.alerts import AlertManager, AlertRule, get_alert_manager
from rfs.monitoring.delivery import Deliverer
from rfs.monitoring.metrics import (
    MetricType,
    ResultMetricsCollector,
    disable_monitoring,
    enable_monitoring,
)
from rfs.monitoring.v4_alerts import AlertCondition
from rfs.result import Result, Success


class ResultAlertManager(AlertManager):
    """RFS v4's alert manager: the one ``AlertManager`` (window rules, v4's threshold rules,
    delivery), built as v4 builds it, ``ResultAlertManager(metrics_collector)``."""

    def __init__(
        self,
        metrics_collector: ResultMetricsCollector | None = None,
        deliverer: Deliverer | None = None,
    ) -> None:
        super().__init__(metrics_collector, deliverer)


def collect_metric(
    name: str,
    value: float,
    metric_type: MetricType | str = MetricType.GAUGE,
    labels: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """``ResultMetricsCollector.instance().collect_metric(...)`` (v4): a counter adds ``value``,
    a gauge keeps it, a histogram or timer adds one observation; ``ValueError`` for bad input."""
    ResultMetricsCollector.instance().collect_metric(name, value, metric_type, labels, metadata)


def get_metrics_summary(time_range_minutes: float = 60) -> dict[str, Any]:
    """``ResultMetricsCollector.instance().get_metrics_summary(...)`` (v4): the series by kind
    and each operation's metrics over the window covering ``time_range_minutes``."""
    return ResultMetricsCollector.instance().get_metrics_summary(time_range_minutes)


def collect_result_metric(
    operation_name: str,
    result: Result[Any, Any],
    duration_ms: float,
    labels: Mapping[str, str] | None = None,
) -> None:
    """One Result of ``operation_name`` (v4): into the process-wide collector's windows
    (percentiles, alerts) and its v4 series ``result_success_total``/``result_failure_total``,
    ``result_error_by_type_total`` (label ``error_type``) and ``result_duration_ms``, labelled
    with ``operation`` (and ``labels``)."""
    collector = ResultMetricsCollector.instance()
    collector.record(operation_name, result, duration_ms)
    tags = {**(labels or {}), "operation": operation_name}
    if isinstance(result, Success):
        collector.collect_metric("result_success_total", 1, MetricType.COUNTER, tags)
    else:
        collector.collect_metric("result_failure_total", 1, MetricType.COUNTER, tags)
        error_tags = {**tags, "error_type": type(result.unwrap_error()).__name__}
        collector.collect_metric("result_error_by_type_total", 1, MetricType.COUNTER, error_tags)
    collector.collect_metric("result_duration_ms", duration_ms, MetricType.HISTOGRAM, tags)


def collect_flux_result_metric(operation_name: str, flux_result: Any, duration_ms: float) -> None:
    """A FluxResult batch of ``operation_name`` (v4): each item into the process-wide
    collector's windows (the duration spread evenly) and its v4 series
    ``flux_result_total_items``, ``..._success_items``, ``..._failure_items``,
    ``..._duration_ms`` and the gauge ``flux_result_success_rate``."""
    collector = ResultMetricsCollector.instance()
    items = list(flux_result.to_list()) if hasattr(flux_result, "to_list") else list(flux_result)
    for item in items:
        collector.record(operation_name, item, duration_ms / len(items))
    tags = {"operation": operation_name}
    total = flux_result.count_total()
    success = flux_result.count_success()
    for name, value, kind in (
        ("flux_result_total_items", total, MetricType.COUNTER),
        ("flux_result_success_items", success, MetricType.COUNTER),
        ("flux_result_failure_items", total - success, MetricType.COUNTER),
        ("flux_result_duration_ms", duration_ms, MetricType.HISTOGRAM),
        ("flux_result_success_rate", success / total if total else 0.0, MetricType.GAUGE),
    ):
        collector.collect_metric(name, value, kind, tags)


def create_alert_rule(
    name: str,
    metric_name: str,
    condition: AlertCondition | str,
    threshold: float,
    callback: Callable[[dict[str, Any]], object] | None = None,
) -> None:
    """``get_alert_manager().add_alert_rule(...)`` (v4): fire while the process-wide
    collector's series ``metric_name`` meets ``condition`` against ``threshold``, notifying
    ``callback(alert)`` (sync or async) once on fire and once on resolve."""
    get_alert_manager().add_alert_rule(name, metric_name, condition, threshold, callback)


def setup_default_alerts(
    operation: str = "*", manager: AlertManager | None = None
) -> list[AlertRule]:
    """v4's defaults: ``high_failure_rate:<op>`` (error rate over 10%, resolves under 5%) and
    ``slow_response_time:<op>`` (p99 over 5 s, resolves under 4 s) over 5 minutes with at least
    10 requests, and v4's ``low_batch_success_rate`` (``flux_result_success_rate`` under 0.8).
    With ``"*"`` the per-operation rules cover every operation, also those seen later."""
    manager = manager or get_alert_manager()
    manager.add_alert_rule("low_batch_success_rate", "flux_result_success_rate", "lt", 0.8)
    if operation != "*":
        return _add_defaults(manager, [operation])

    def cover_new_operations() -> list[dict[str, Any]]:
        _add_defaults(manager, manager.collector.operations())
        return []

    manager.add_check("default_alerts", cover_new_operations)
    return _add_defaults(manager, manager.collector.operations())


def _add_defaults(manager: AlertManager, operations: list[str]) -> list[AlertRule]:
    have = {r.name for r in manager.rules()}
    added = []
    for op in operations:
        for rule in (
            AlertRule(f"high_failure_rate:{op}", op, "error_rate", 0.1, "5m", "gt", 0.05, 10),
            AlertRule(f"slow_response_time:{op}", op, "p99", 5000.0, "5m", "gt", 4000.0, 10),
        ):
            if rule.name not in have:
                manager.add_rule(rule)
                added.append(rule)
    return added


def get_dashboard_data(time_range_minutes: float = 60) -> dict[str, Any]:
    """v4's dashboard dict over the process-wide collector and manager: ``metrics_summary``,
    ``active_alerts`` and ``alert_rules`` (v4's threshold rules and the window rules),
    ``system_status`` (``monitoring_active``, ``total_metrics`` series, ``timestamp``)."""
    manager = get_alert_manager()
    collector = ResultMetricsCollector.instance()
    return {
        "metrics_summary": collector.get_metrics_summary(time_range_minutes),
        "active_alerts": manager.get_active_alerts(),
        "alert_rules": manager.get_alert_rules(),
        "system_status": {
            "monitoring_active": hook.monitor is not None,
            "total_metrics": len(collector.metric_values()),
            "timestamp": datetime.now(UTC).isoformat(),
        },
    }


def start_monitoring(alert_interval: float | None = 10.0) -> ResultMetricsCollector:
    """Turn monitoring on (v4) and, unless ``alert_interval`` is None, evaluate the alert rules
    every ``alert_interval`` seconds in a daemon thread. Idempotent; returns the collector."""
    collector = enable_monitoring()
    if alert_interval is not None:
        get_alert_manager().start(alert_interval)
    return collector


def stop_monitoring() -> None:
    """Turn monitoring off and stop the alert evaluator (collected data is kept)."""
    get_alert_manager().stop()
    disable_monitoring()


def reset_metrics() -> None:
    """Forget everything the process-wide collector holds (``ResultMetricsCollector.instance()
    .clear()``: operations and series); firing v4 rules on a forgotten series are forgotten at
    the next evaluation."""
    ResultMetricsCollector.instance().clear()
