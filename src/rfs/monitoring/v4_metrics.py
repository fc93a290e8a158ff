"""RFS v4's named series, held by ``ResultMetricsCollector`` beside its operations' windows:
counters, gauges, histograms and timers with labels (v4's ``collect_metric``). Memory is bounded:
at most ``MAX_SERIES`` series per collector, each histogram or timer a ``LogSketch``."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from rfs.monitoring.sketch import LogSketch

E = TypeVar("E", bound=StrEnum)

MAX_SERIES = 1000  # distinct (name, labels) series kept; later ones are counted as dropped


class MetricType(StrEnum):
    """Kinds of metric accepted by ``collect_metric`` (v4)."""

    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"
    TIMER = "timer"


def is_finite_number(value: object) -> bool:
    """Whether ``value`` is an int or float (not a bool), and not NaN or infinite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def member_of(choices: type[E], value: E | str, subject: str, what: str) -> E:
    """``choices(value)``, or a ``ValueError`` naming ``subject`` and the accepted values."""
    try:
        return choices(value)
    except ValueError:
        names = ", ".join(str(c.value) for c in choices)
        raise ValueError(f"{subject}: {what} {value!r} is not one of {names}") from None


def series_key(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The key of a series: ``name``, or ``name{k=v,...}`` with labels sorted by key."""
    if not labels:
        return name
    return name + "{" + ",".join(f"{k}={labels[k]}" for k in sorted(labels)) + "}"


@dataclass
class _Series:
    name: str
    kind: MetricType
    value: float = 0.0  # a counter's total, else the last value
    sketch: LogSketch | None = None  # histograms and timers


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


class SeriesTable:
    """The named series of one collector, counted since start (or the collector's ``clear``)."""

    def __init__(self, max_series: int = MAX_SERIES) -> None:
        self._lock = threading.Lock()
        self._series: dict[str, _Series] = {}
        self.max_series = max_series
        self.dropped = 0

    def add(
        self,
        name: str,
        value: float,
        metric_type: MetricType | str,
        labels: Mapping[str, str] | None,
    ) -> None:
        """A counter adds ``value``, a gauge keeps it, a histogram or timer adds one observation.
        ``ValueError`` for an empty name, an unknown type, labels that are not a mapping or a
        value that is not a finite number."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a metric name is a non-empty string, got {name!r}")
        kind = member_of(MetricType, metric_type, f"metric {name!r}", "type")
        if not is_finite_number(value):
            raise ValueError(f"metric {name!r}: value must be a finite number, got {value!r}")
        if labels is not None and not isinstance(labels, Mapping):
            raise ValueError(f"metric {name!r}: labels are a mapping, got {type(labels).__name__}")
        key = series_key(name, labels)
        with self._lock:
            s = self._series.get(key)
            if s is None:
                if len(self._series) >= self.max_series:
                    self.dropped += 1
                    return
                sketch = LogSketch() if kind in (MetricType.HISTOGRAM, MetricType.TIMER) else None
                s = self._series[key] = _Series(name, kind, sketch=sketch)
            if s.kind is MetricType.COUNTER:
                s.value += value
            else:
                s.value = float(value)
                if s.sketch is not None:
                    s.sketch.add(float(value))

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        """A series' value (a counter's total, else the last value); None when never recorded.
        A bare ``name`` of counters recorded only with labels gives their sum."""
        key = series_key(name, labels)
        with self._lock:
            s = self._series.get(key)
            if s is not None or labels:
                return None if s is None else s.value
            counted = [
                x.value
                for x in self._series.values()
                if x.name == name and x.kind is MetricType.COUNTER
            ]
        return sum(counted) if counted else None

    def values(self, name: str | None = None) -> dict[str, float]:
        """Each series' value by key; only the series named ``name`` when given."""
        with self._lock:
            return {k: s.value for k, s in self._series.items() if name is None or s.name == name}

    def tables(self) -> dict[MetricType, dict[str, Any]]:
        """v4's summary tables by kind: counters and gauges by key (a bare name also totals its
        labelled counters), histogram and timer statistics by key (a bare name also merges its
        labelled series)."""
        tables: dict[MetricType, dict[str, Any]] = {kind: {} for kind in MetricType}
        merged: dict[tuple[MetricType, str], LogSketch] = {}
        with self._lock:
            for key, s in self._series.items():
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
        return tables

    def clear(self) -> None:
        """Forget every series."""
        with self._lock:
            self._series.clear()
            self.dropped = 0


def window_for_minutes(minutes: float) -> str:
    """The smallest window ("1m", "5m", "1h", "1d") covering ``minutes``; ``ValueError`` for
    anything but a positive number."""
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not minutes > 0:
        raise ValueError(f"time_range_minutes is a positive number, got {minutes!r}")
    for window, limit in (("1m", 1), ("5m", 5), ("1h", 60)):
        if minutes <= limit:
            return window
    return "1d"
