"""RFS v4's metric helpers (v4's ``rfs.monitoring.metrics`` functions): named counters, gauges,
histograms and timers with labels (``collect_metric``), the Result and FluxResult helpers, v4's
summary and dashboard dicts, v4's threshold rules (``create_alert_rule``), the default alerts,
and monitoring on and off. Memory is bounded: at most ``MAX_SERIES`` series, each histogram a
``LogSketch``."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from rfs.monitoring import hook
from rfs.monitoring.alerts import AlertManager, AlertRule, get_alert_manager
from rfs.monitoring.metrics import (
    MetricType,
    ResultMetricsCollector,
    disable_monitoring,
    enable_monitoring,
)
from rfs.monitoring.sketch import LogSketch
from rfs.result import Result, Success

MAX_SERIES = 1000  # distinct (name, labels) series kept; later ones are counted as dropped
_COUNTER = MetricType.COUNTER


class AlertCondition(StrEnum):
    """How a v4 rule compares a metric's value with its threshold."""

    GREATER_THAN = "gt"
    LESS_THAN = "lt"
    EQUAL = "eq"
    NOT_EQUAL = "ne"

    def holds(self, value: float, threshold: float) -> bool:
        """Whether ``value`` meets the condition."""
        if self is AlertCondition.GREATER_THAN:
            return value > threshold
        if self is AlertCondition.LESS_THAN:
            return value < threshold
        return (value == threshold) is (self is AlertCondition.EQUAL)


@dataclass
class _Series:
    name: str
    kind: MetricType
    value: float = 0.0  # a counter's total, else the last value
    sketch: LogSketch | None = None  # histograms and timers


@dataclass(frozen=True)
class _Rule:
    name: str
    metric_name: str
    condition: AlertCondition
    threshold: float
    callback: Callable[[dict[str, Any]], object] | None


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.series: dict[str, _Series] = {}
        self.dropped = 0
        self.rules: dict[str, _Rule] = {}
        self.firing: dict[str, dict[str, Any]] = {}


_reg = _Registry()


def series_key(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The key of a series: ``name``, or ``name{k=v,...}`` with labels sorted by key."""
    if not labels:
        return name
    return name + "{" + ",".join(f"{k}={labels[k]}" for k in sorted(labels)) + "}"


def collect_metric(
    name: str,
    value: float,
    metric_type: MetricType | str = MetricType.GAUGE,
    labels: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Record ``value`` for the series ``name``/``labels`` (v4): a counter adds it, a gauge keeps
    it, a histogram or timer (milliseconds) adds one observation. ``metadata`` is accepted as
    in v4 and not kept. ``ValueError`` for an unknown type or a value that is not finite."""
    del metadata
    kind = MetricType(metric_type)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"metric {name!r}: value must be a finite number, got {value!r}")
    key = series_key(name, labels)
    with _reg.lock:
        s = _reg.series.get(key)
        if s is None:
            if len(_reg.series) >= MAX_SERIES:
                _reg.dropped += 1
                return
            sketch = LogSketch() if kind in (MetricType.HISTOGRAM, MetricType.TIMER) else None
            s = _reg.series[key] = _Series(name, kind, sketch=sketch)
        if s.kind is MetricType.COUNTER:
            s.value += value
        else:
            s.value = float(value)
            if s.sketch is not None:
                s.sketch.add(float(value))


def get_metric_value(name: str, labels: Mapping[str, str] | None = None) -> float | None:
    """A series' value: a counter's total, else its last value; None when never recorded. A bare
    ``name`` of counters recorded only with labels gives their sum."""
    key = series_key(name, labels)
    with _reg.lock:
        s = _reg.series.get(key)
        if s is not None or labels:
            return None if s is None else s.value
        counted = [x.value for x in _reg.series.values() if x.name == name and x.kind is _COUNTER]
    return sum(counted) if counted else None


def _stats(sketch: LogSketch) -> dict[str, float]:
    p50, p90, p95, p99 = sketch.quantiles((0.5, 0.9, 0.95, 0.99))
    n = sketch.count
    return {
        "count": n,
        "sum": sketch.sum,
        "min": sketch.min if n else 0.0,
        "max": sketch.max,
        "mean": sketch.sum / n if n else 0.0,
        "p50": p50,
        "p90": p90,
        "p95": p95,
        "p99": p99,
    }


def _window(minutes: float) -> str:
    for window, limit in (("1m", 1), ("5m", 5), ("1h", 60)):
        if minutes <= limit:
            return window
    return "1d"


def get_metrics_summary(time_range_minutes: int = 60) -> dict[str, Any]:
    """v4's summary: ``counters``, ``gauges``, ``histograms`` and ``timers`` by series key (a bare
    name also totals its labelled counters and merges its labelled histograms), and here also
    ``operations``: each operation's metrics over the window covering ``time_range_minutes``
    (1m, 5m, 1h or 1d). The series themselves count since start (or ``reset_metrics``)."""
    tables: dict[MetricType, dict[str, Any]] = {kind: {} for kind in MetricType}
    merged: dict[tuple[MetricType, str], LogSketch] = {}
    with _reg.lock:
        for key, s in _reg.series.items():
            table = tables[s.kind]
            if s.sketch is None:
                table[key] = s.value
            else:
                table[key] = _stats(s.sketch)
                merged.setdefault((s.kind, s.name), LogSketch()).merge(s.sketch)
            if key != s.name and s.kind is MetricType.COUNTER:
                table[s.name] = table.get(s.name, 0.0) + s.value
    for (kind, name), sketch in merged.items():
        tables[kind][name] = _stats(sketch)
    collector = ResultMetricsCollector.instance()
    window = _window(time_range_minutes)
    operations = {}
    for op in collector.operations():
        snap = collector.snapshot(op, window)
        if isinstance(snap, Success):
            operations[op] = snap.value.__dict__
    return {
        "counters": tables[MetricType.COUNTER],
        "gauges": tables[MetricType.GAUGE],
        "histograms": tables[MetricType.HISTOGRAM],
        "timers": tables[MetricType.TIMER],
        "operations": operations,
        "time_range_minutes": time_range_minutes,
        "generated_at": datetime.now(UTC).isoformat(),
    }


def collect_result_metric(
    operation_name: str,
    result: Result[Any, Any],
    duration_ms: float,
    labels: Mapping[str, str] | None = None,
) -> None:
    """One Result of ``operation_name`` (v4): into the collector (windows, percentiles, alerts)
    and v4's series ``result_success_total``/``result_failure_total``,
    ``result_error_by_type_total`` (label ``error_type``) and ``result_duration_ms``, labelled
    with ``operation`` (and ``labels``)."""
    ResultMetricsCollector.instance().record(operation_name, result, duration_ms)
    tags = {**(labels or {}), "operation": operation_name}
    if isinstance(result, Success):
        collect_metric("result_success_total", 1, MetricType.COUNTER, tags)
    else:
        collect_metric("result_failure_total", 1, MetricType.COUNTER, tags)
        error_tags = {**tags, "error_type": type(result.unwrap_error()).__name__}
        collect_metric("result_error_by_type_total", 1, MetricType.COUNTER, error_tags)
    collect_metric("result_duration_ms", duration_ms, MetricType.HISTOGRAM, tags)


def collect_flux_result_metric(operation_name: str, flux_result: Any, duration_ms: float) -> None:
    """A FluxResult batch of ``operation_name`` (v4): each item into the collector (the duration
    spread evenly) and v4's series ``flux_result_total_items``, ``..._success_items``,
    ``..._failure_items``, ``..._duration_ms`` and the gauge ``flux_result_success_rate``."""
    collector = ResultMetricsCollector.instance()
    items = list(flux_result.to_list()) if hasattr(flux_result, "to_list") else list(flux_result)
    for item in items:
        collector.record(operation_name, item, duration_ms / len(items))
    tags = {"operation": operation_name}
    total = flux_result.count_total()
    success = flux_result.count_success()
    collect_metric("flux_result_total_items", total, MetricType.COUNTER, tags)
    collect_metric("flux_result_success_items", success, MetricType.COUNTER, tags)
    collect_metric("flux_result_failure_items", total - success, MetricType.COUNTER, tags)
    collect_metric("flux_result_duration_ms", duration_ms, MetricType.HISTOGRAM, tags)
    rate = success / total if total else 0.0
    collect_metric("flux_result_success_rate", rate, MetricType.GAUGE, tags)


def create_alert_rule(
    name: str,
    metric_name: str,
    condition: AlertCondition | str,
    threshold: float,
    callback: Callable[[dict[str, Any]], object] | None = None,
) -> None:
    """Add (or replace) v4's threshold rule: fire when ``get_metric_value(metric_name)`` meets
    ``condition`` against ``threshold``, once until it stops; ``callback(alert)`` (sync or async)
    is called from the delivery thread on fire and on resolve."""
    rule = _Rule(name, metric_name, AlertCondition(condition), float(threshold), callback)
    with _reg.lock:
        _reg.rules[name] = rule
    _watch(get_alert_manager())


def _watch(manager: AlertManager) -> None:
    """Have ``manager``'s evaluations (and its evaluator thread) check v4's threshold rules."""
    manager.add_check("v4_threshold_rules", lambda: check_metric_alerts(manager))


def _rule_values(metric_name: str) -> list[tuple[str, float]]:
    """(series key, value) pairs a v4 rule checks: the series ``metric_name``, else the total
    of its labelled counters, else each of its labelled gauges or histograms (last value)."""
    total = get_metric_value(metric_name)
    if total is not None:
        return [(metric_name, total)]
    with _reg.lock:
        return [(k, s.value) for k, s in _reg.series.items() if s.name == metric_name]


def check_metric_alerts(manager: AlertManager | None = None) -> list[dict[str, Any]]:
    """Evaluate v4's threshold rules now (one state per rule and series); the notifications of
    state changes, also delivered to the rules' callbacks."""
    deliverer = (manager or get_alert_manager()).deliverer
    sent = []
    for rule in list(_reg.rules.values()):
        for key, value in _rule_values(rule.metric_name):
            now_firing = rule.condition.holds(value, rule.threshold)
            state = f"{rule.name}:{key}"
            with _reg.lock:
                if now_firing == (state in _reg.firing):
                    continue
                note = {
                    "name": rule.name,
                    "metric_name": rule.metric_name,
                    "series": key,
                    "condition": rule.condition.value,
                    "threshold": rule.threshold,
                    "current_value": value,
                    "state": "firing" if now_firing else "resolved",
                    "timestamp": datetime.now(UTC).isoformat(),
                }
                if now_firing:
                    _reg.firing[state] = note
                else:
                    del _reg.firing[state]
            if rule.callback is not None:
                deliverer.submit(rule.callback, note)
            sent.append(note)
    return sent


def setup_default_alerts(
    operation: str = "*", manager: AlertManager | None = None
) -> list[AlertRule]:
    """v4's defaults: ``high_failure_rate:<op>`` (error rate over 10%, resolves under 5%) and
    ``slow_response_time:<op>`` (p99 over 5 s, resolves under 4 s) over 5 minutes with at least
    10 requests, and v4's ``low_batch_success_rate`` (``flux_result_success_rate`` under 0.8).
    With ``"*"`` the per-operation rules cover every operation, also those seen later."""
    manager = manager or get_alert_manager()
    create_alert_rule("low_batch_success_rate", "flux_result_success_rate", "lt", 0.8)
    _watch(manager)
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


def _rule_dicts(manager: AlertManager) -> list[dict[str, Any]]:
    rules = [
        {
            "name": r.name,
            "metric_name": r.metric_name,
            "condition": r.condition.value,
            "threshold": r.threshold,
            "enabled": True,
        }
        for r in _reg.rules.values()
    ]
    rules += [
        {
            "name": r.name,
            "metric_name": f"{r.metric}({r.operation}, {r.window})",
            "condition": r.condition,
            "threshold": r.threshold,
            "enabled": True,
        }
        for r in manager.rules()
    ]
    return rules


def get_dashboard_data(time_range_minutes: int = 60) -> dict[str, Any]:
    """v4's dashboard dict: ``metrics_summary``, ``active_alerts`` and ``alert_rules`` (v4's
    threshold rules and the window rules), ``system_status`` (``monitoring_active``,
    ``total_metrics`` series, ``timestamp``)."""
    manager = get_alert_manager()
    with _reg.lock:
        firing = list(_reg.firing.values())
        total = len(_reg.series)
    return {
        "metrics_summary": get_metrics_summary(time_range_minutes),
        "active_alerts": firing + manager.active_alerts(),
        "alert_rules": _rule_dicts(manager),
        "system_status": {
            "monitoring_active": hook.monitor is not None,
            "total_metrics": total,
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
    """Forget the series of ``collect_metric`` and the firing state of v4's rules."""
    with _reg.lock:
        _reg.series.clear()
        _reg.firing.clear()
        _reg.dropped = 0
