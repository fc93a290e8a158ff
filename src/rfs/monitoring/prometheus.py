"""Prometheus exposition of ``ResultMetricsCollector`` through prometheus-client.

``PrometheusExporter(collector).register(registry)`` adds, per operation: a cumulative latency
histogram ``rfs_operation_duration_seconds`` (from the since-start sketch), a counter
``rfs_operation_failures_total`` and windowed gauges ``rfs_operation_latency_seconds{quantile,
window}``. ``metrics_text()`` renders a registry in the text format served at ``/metrics``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from rfs._require import require
from rfs.monitoring.metrics import ResultMetricsCollector
from rfs.monitoring.sketch import LogSketch
from rfs.result import Success

require("prometheus", "prometheus_client", "rfs.monitoring.prometheus")
from prometheus_client import CollectorRegistry, generate_latest  # noqa: E402
from prometheus_client.core import (  # noqa: E402
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector  # noqa: E402

#: Histogram bucket bounds in seconds (prometheus-client's defaults).
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def _cumulative(sketch: LogSketch, bounds: Sequence[float]) -> list[tuple[str, float]]:
    gamma = (1 + sketch.accuracy) / (1 - sketch.accuracy)
    keys = sorted(sketch.buckets)
    out: list[tuple[str, float]] = []
    for bound in bounds:
        limit_ms = bound * 1000.0
        n = sketch.zeros + sum(sketch.buckets[k] for k in keys if gamma**k <= limit_ms * gamma)
        out.append((repr(bound), float(min(n, sketch.count))))
    out.append(("+Inf", float(sketch.count)))
    return out


class PrometheusExporter(Collector):
    """A prometheus-client collector reading a ``ResultMetricsCollector`` at scrape time."""

    def __init__(
        self,
        collector: ResultMetricsCollector | None = None,
        buckets: Iterable[float] = DEFAULT_BUCKETS,
        windows: Sequence[str] = ("1m", "5m"),
    ) -> None:
        self.collector = collector or ResultMetricsCollector.instance()
        self.buckets = tuple(sorted(buckets))
        self.windows = tuple(windows)

    def register(self, registry: CollectorRegistry | None = None) -> CollectorRegistry:
        """Register on ``registry`` (a new one when None); returns the registry."""
        registry = registry if registry is not None else CollectorRegistry()
        registry.register(self)
        return registry

    def collect(self) -> Iterator[Any]:
        """The metric families at this scrape."""
        hist = HistogramMetricFamily(
            "rfs_operation_duration_seconds",
            "Duration of Result operations",
            labels=["operation", "subsystem"],
        )
        failures = CounterMetricFamily(
            "rfs_operation_failures", "Failure results of operations", labels=["operation"]
        )
        latency = GaugeMetricFamily(
            "rfs_operation_latency_seconds",
            "Latency quantile over a sliding window",
            labels=["operation", "window", "quantile"],
        )
        rate = GaugeMetricFamily(
            "rfs_operation_success_ratio",
            "Success ratio over a sliding window",
            labels=["operation", "window"],
        )
        for name in self.collector.operations():
            totals = self.collector.totals(name)
            if totals is None:
                continue
            sketch, failed = totals
            sub = self.collector.subsystem_of(name)
            hist.add_metric(
                [name, sub], _cumulative(sketch, self.buckets), sum_value=sketch.sum / 1000.0
            )
            failures.add_metric([name], float(failed))
            for window in self.windows:
                snap = self.collector.snapshot(name, window)
                if not isinstance(snap, Success):
                    continue
                m = snap.value
                for q, v in (
                    ("0.5", m.p50_response_time_ms),
                    ("0.9", m.p90_response_time_ms),
                    ("0.99", m.p99_response_time_ms),
                ):
                    latency.add_metric([name, window, q], v / 1000.0)
                rate.add_metric([name, window], m.success_rate)
        yield from (hist, failures, latency, rate)
        yield from _cache_families()


def _cache_families() -> Iterator[Any]:
    """Cache hits/misses per cached function, read from ``rfs.cache`` at scrape time (costs the
    cache nothing; skipped when rfs.cache was never imported)."""
    stats_module = sys.modules.get("rfs.cache.stats")
    if stats_module is None:
        return
    functions = stats_module.cache_stats()["functions"]
    for field in ("hits", "misses", "stale_hits", "loader_errors"):
        family = CounterMetricFamily(
            f"rfs_cache_{field}", f"Cache {field.replace('_', ' ')}", labels=["function"]
        )
        for name, counters in functions.items():
            family.add_metric([name], float(counters[field]))
        yield family


def metrics_text(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text exposition format (the body of ``/metrics``)."""
    return generate_latest(registry)
