"""RFS v4's generic metric helpers, thin over the collector: ``collect_metric`` (counters,
gauges, histograms and timers by name), ``get_dashboard_data`` (everything a dashboard shows in
one dict) and ``start_monitoring`` / ``stop_monitoring`` (monitoring on and off, plus the alert
evaluator)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from typing import Any

from rfs.monitoring import hook
from rfs.monitoring.alerts import get_alert_manager
from rfs.monitoring.metrics import (
    MetricType,
    ResultMetricsCollector,
    disable_monitoring,
    enable_monitoring,
    get_metrics_summary,
)

MAX_NAMES = 1000  # distinct counter/gauge series kept; later names are counted as dropped


class _Series:
    """Counters and gauges by (name, tags); histograms and timers go to the collector."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counters: dict[str, float] = {}
        self.gauges: dict[str, tuple[float, float]] = {}  # key -> (value, epoch seconds)
        self.dropped = 0

    def room_for(self, table: Mapping[str, Any], key: str) -> bool:
        if key in table or len(self.counters) + len(self.gauges) < MAX_NAMES:
            return True
        self.dropped += 1
        return False


_series = _Series()


def _key(name: str, tags: Mapping[str, str] | None) -> str:
    if not tags:
        return name
    return name + "{" + ",".join(f"{k}={tags[k]}" for k in sorted(tags)) + "}"


def collect_metric(
    name: str,
    value: float,
    metric_type: MetricType | str = MetricType.GAUGE,
    tags: Mapping[str, str] | None = None,
) -> None:
    """Record ``value`` for metric ``name`` (v4). A counter adds ``value``; a gauge keeps the
    last one; a histogram or timer (milliseconds) is one observation in the collector, with
    the windows and percentiles of ``get_operation_metrics``. ``ValueError`` for an unknown
    type or a value that is not a finite number."""
    kind = MetricType(metric_type)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"metric {name!r}: value must be a finite number, got {value!r}")
    key = _key(name, tags)
    if kind in (MetricType.HISTOGRAM, MetricType.TIMER):
        ResultMetricsCollector.instance().observe(key, True, float(value), None, "metric")
        return
    with _series.lock:
        if kind is MetricType.COUNTER:
            if _series.room_for(_series.counters, key):
                _series.counters[key] = _series.counters.get(key, 0.0) + value
        elif _series.room_for(_series.gauges, key):
            _series.gauges[key] = (float(value), time.time())


def get_dashboard_data(time_range: str = "1h") -> dict[str, Any]:
    """One dict for a dashboard (v4): per-operation metrics over ``time_range``, counters,
    gauges, the active alerts and whether monitoring is on."""
    with _series.lock:
        counters = dict(_series.counters)
        gauges = {k: v for k, (v, _at) in _series.gauges.items()}
    return {
        "time_range": time_range,
        "monitoring": hook.monitor is not None,
        "operations": get_metrics_summary(time_range),
        "counters": counters,
        "gauges": gauges,
        "alerts": get_alert_manager().active_alerts(),
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
    """Forget the counters and gauges of ``collect_metric`` (tests, admin resets)."""
    with _series.lock:
        _series.counters.clear()
        _series.gauges.clear()
        _series.dropped = 0
