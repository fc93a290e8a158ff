"""``ResultMetricsCollector``: per-operation counts, success rate, latency percentiles and error
statistics over sliding windows, fed by ``@log_result_operation`` and every subsystem's hook;
beside them RFS v4's named series (``collect_metric``, ``rfs.monitoring.v4_metrics``)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from rfs._lazy import lazy_exports
from rfs.monitoring import hook
from rfs.monitoring.sketch import LogSketch
from rfs.monitoring.v4_metrics import MetricType as MetricType  # v4 imported it from here
from rfs.monitoring.v4_metrics import SeriesTable, window_for_minutes
from rfs.monitoring.windows import WINDOWS, OperationWindows
from rfs.reactive.mono_result import MonoResult
from rfs.result import Failure, Result, Success

TIME_RANGES = tuple(WINDOWS)


@dataclass
class OperationMetrics:
    """Metrics of one operation over one window (seed 004's fields)."""

    operation_name: str
    time_window: str
    total_requests: int
    successful_requests: int
    failed_requests: int
    success_rate: float
    avg_response_time_ms: float
    p50_response_time_ms: float
    p90_response_time_ms: float
    p99_response_time_ms: float
    max_response_time_ms: float
    error_breakdown: dict[str, int]
    top_errors: list[tuple[str, int]]
    avg_memory_usage_mb: float
    avg_cpu_usage_percent: float
    hourly_distribution: dict[int, int] = field(default_factory=dict)

    @property
    def requests_per_second(self) -> float:
        """Throughput over the window."""
        width, n = WINDOWS[self.time_window]
        return self.total_requests / (width * n)


@dataclass(frozen=True)
class MetricsError:
    """Why no metrics: ``kind`` is ``unknown_time_range`` or ``unknown_operation``."""

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


class ResultMetricsCollector:
    """Collects Result outcomes per operation; ``instance()`` is the process-wide one.

    ``max_history_size`` is v4's first argument, accepted and checked: v4 kept that many raw
    values per series, here every window and series is a fixed-size sketch whatever its value.
    ``clock`` (for tests) and ``max_operations`` (operations kept, later ones counted in
    ``dropped_operations``) are keyword-only.
    """

    _instance: ClassVar[ResultMetricsCollector | None] = None
    _instance_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        max_history_size: int = 10000,
        *,
        clock: Callable[[], float] = time.time,
        max_operations: int = 1000,
    ) -> None:
        if isinstance(max_history_size, bool) or not isinstance(max_history_size, int):
            raise ValueError(f"max_history_size is an int, got {max_history_size!r}")
        if max_history_size < 1:
            raise ValueError(f"max_history_size is at least 1, got {max_history_size}")
        self.max_history_size = max_history_size
        self._clock = clock
        self._ops: dict[str, OperationWindows] = {}
        self._subsystems: dict[str, str] = {}
        self._series = SeriesTable()
        self._lock = threading.Lock()
        self.max_operations = max_operations
        self.dropped_operations = 0

    @classmethod
    def instance(cls) -> ResultMetricsCollector:
        """The process-wide collector (created on first use)."""
        inst = cls._instance
        if inst is None:
            with cls._instance_lock:
                if cls._instance is None:
                    cls._instance = cls()
                inst = cls._instance
        return inst

    def _windows(self, operation: str, subsystem: str = "app") -> OperationWindows | None:
        ops = self._ops.get(operation)
        if ops is None:
            with self._lock:
                ops = self._ops.get(operation)
                if ops is None:
                    if len(self._ops) >= self.max_operations:
                        return None
                    ops = self._ops[operation] = OperationWindows(clock=self._clock)
                    if subsystem != "app":
                        self._subsystems[operation] = subsystem
        return ops

    def observe(
        self,
        operation: str,
        ok: bool,
        duration_ms: float,
        error: object | None = None,
        subsystem: str = "app",
    ) -> None:
        """Record one outcome (the ``hook.Monitor`` interface): a dict lookup, then
        ``OperationWindows.record`` (a clock read and two appends to pending buffers, folded
        into the windows in batches, see ``rfs.monitoring.windows``)."""
        ops = self._ops.get(operation) or self._windows(operation, subsystem)
        if ops is not None:
            ops.record(ok, duration_ms, error)
        else:
            self.dropped_operations += 1

    def recorder(self, operation: str, subsystem: str = "app") -> hook.Recorder:
        """``operation``'s own ``record(ok, duration_ms, error)``: what a hot path calls per
        outcome without naming the operation again (see ``hook.Site``). Valid until
        ``clear``, which makes the hook's sites resolve it again."""
        ops = self._ops.get(operation) or self._windows(operation, subsystem)
        return self._drop if ops is None else ops.record

    def _drop(self, ok: bool, duration_ms: float, error: object | None = None) -> None:
        """The recorder of an operation past ``max_operations``: counts the drop."""
        self.dropped_operations += 1

    def record(
        self,
        operation: str,
        result: Result[Any, Any],
        duration_ms: float,
        memory_mb: float | None = None,
        cpu_percent: float | None = None,
    ) -> None:
        """Record ``result`` of ``operation`` with its duration (and optional resource use)."""
        ok = isinstance(result, Success)
        self.observe(operation, ok, duration_ms, None if ok else result.error)  # type: ignore[union-attr]
        if memory_mb is not None or cpu_percent is not None:
            ops = self._ops.get(operation)
            if ops is not None:
                ops.add_resources(self._clock(), memory_mb, cpu_percent)

    def operations(self) -> list[str]:
        """Names of the operations seen so far."""
        return sorted(self._ops)

    def snapshot(
        self, operation: str, time_range: str = "1h"
    ) -> Result[OperationMetrics, MetricsError]:
        """The metrics of ``operation`` over ``time_range`` now, synchronously."""
        if time_range not in WINDOWS:
            return Failure(
                MetricsError(
                    "unknown_time_range",
                    f"unknown time_range {time_range!r}; use one of {', '.join(TIME_RANGES)}",
                )
            )
        ops = self._ops.get(operation)
        if ops is None:
            return Failure(
                MetricsError("unknown_operation", f"no metrics for operation {operation!r}")
            )
        now = self._clock()
        sketch = LogSketch(ops.accuracy)
        failures = 0
        errors: Counter[str] = Counter()
        messages: Counter[str] = Counter()
        memory = cpu = 0.0
        resources = 0
        ops.fold()
        with ops.lock:
            for sl in ops.live_slices(time_range, now):
                sketch.merge(sl.sketch)
                failures += sl.failures
                errors.update(sl.errors)
                messages.update(sl.messages)
                memory += sl.memory
                cpu += sl.cpu
                resources += sl.resources
            hourly: dict[int, int] = {}
            for sl in ops.live_slices("1d", now):
                hour = datetime.fromtimestamp(sl.start, UTC).hour
                hourly[hour] = hourly.get(hour, 0) + sl.sketch.count
        total = sketch.count
        p50, p90, p99 = sketch.quantiles((0.5, 0.9, 0.99))
        return Success(
            OperationMetrics(
                operation_name=operation,
                time_window=time_range,
                total_requests=total,
                successful_requests=total - failures,
                failed_requests=failures,
                success_rate=(total - failures) / total if total else 1.0,
                avg_response_time_ms=sketch.sum / total if total else 0.0,
                p50_response_time_ms=p50,
                p90_response_time_ms=p90,
                p99_response_time_ms=p99,
                max_response_time_ms=sketch.max,
                error_breakdown=dict(errors),
                top_errors=messages.most_common(10),
                avg_memory_usage_mb=memory / resources if resources else 0.0,
                avg_cpu_usage_percent=cpu / resources if resources else 0.0,
                hourly_distribution=hourly,
            )
        )

    def get_operation_metrics(
        self, operation_name: str, time_range: str = "1h"
    ) -> MonoResult[OperationMetrics, MetricsError]:
        """The metrics as an awaitable ``MonoResult`` (``await``, or chain ``.bind_result``)."""
        return MonoResult.from_async_result(lambda: self.snapshot(operation_name, time_range))

    def totals(self, operation: str) -> tuple[LogSketch, int] | None:
        """A copy of the since-start latency sketch of ``operation`` and its failure count."""
        ops = self._ops.get(operation)
        if ops is None:
            return None
        ops.fold()
        with ops.lock:
            return ops.totals()

    def pending(self, operation: str) -> int:
        """Observations of ``operation`` not yet folded into its windows (at most
        ``rfs.monitoring.windows.PENDING_MAX``)."""
        ops = self._ops.get(operation)
        return 0 if ops is None else len(ops.pending)

    def subsystem_of(self, operation: str) -> str:
        """The subsystem that reported ``operation`` (``app`` for decorated functions)."""
        return self._subsystems.get(operation, "app")

    def clear(self) -> None:
        """Forget every operation and series (tests, or a reset from an admin endpoint)."""
        with self._lock:
            self._ops.clear()
            self._subsystems.clear()
        self._series.clear()
        hook.refresh()  # sites holding a recorder of a forgotten operation resolve it again

    # -- RFS v4's methods: named series beside the windows, one collector ---------------------
    def collect_metric(
        self,
        name: str,
        value: float,
        metric_type: MetricType | str = MetricType.GAUGE,
        labels: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Record ``value`` for the series ``name``/``labels`` (v4): a counter adds it, a gauge
        keeps it, a histogram or timer adds one observation. ``metadata`` is accepted as in v4
        and not kept. ``ValueError`` for an unknown type or a value that is not finite."""
        del metadata
        self._series.add(name, value, metric_type, labels)

    def get_metric_value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        """A series' value (v4): a counter's total, else its last value; None when never
        recorded. A bare ``name`` of counters recorded only with labels gives their sum."""
        return self._series.value(name, labels)

    def metric_values(self, name: str | None = None) -> dict[str, float]:
        """Each series' value by series key (``name{k=v,...}``), only those named ``name``."""
        return self._series.values(name)

    def get_metrics_summary(self, time_range_minutes: float = 60) -> dict[str, Any]:
        """v4's summary: ``counters``, ``gauges``, ``histograms`` and ``timers`` by series key
        (since start or ``clear``), and ``operations``: each operation's metrics over the window
        covering ``time_range_minutes`` (1m, 5m, 1h or 1d; ``ValueError`` unless positive)."""
        window = window_for_minutes(time_range_minutes)
        tables = self._series.tables()
        operations = {}
        for op in self.operations():
            snap = self.snapshot(op, window)
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

    def clear_metrics(self) -> None:
        """v4's name for ``clear``: forget every operation and series."""
        self.clear()


def enable_monitoring(collector: ResultMetricsCollector | None = None) -> ResultMetricsCollector:
    """Turn monitoring on: every subsystem and decorated function reports into ``collector``
    (the process-wide one by default). Idempotent; returns the collector."""
    collector = collector or ResultMetricsCollector.instance()
    hook.add_sink(collector)
    return collector


def disable_monitoring() -> None:
    """Turn monitoring off: subsystems stop reporting (collected data is kept)."""
    hook.install(None)


# v4 imported its helpers and ``ResultAlertManager`` from here
# (``from rfs.monitoring.metrics import collect_metric``); they live in ``rfs.monitoring.generic``
# (``AlertCondition`` in ``rfs.monitoring.v4_alerts``).
_V4_NAMES = (
    "ResultAlertManager",
    "collect_flux_result_metric",
    "collect_metric",
    "collect_result_metric",
    "create_alert_rule",
    "get_dashboard_data",
    "get_metrics_summary",
    "setup_default_alerts",
    "start_monitoring",
    "stop_monitoring",
)
_V4_EXPORTS = {
    **dict.fromkeys(_V4_NAMES, "rfs.monitoring.generic"),
    "AlertCondition": "rfs.monitoring.v4_alerts",
}
_v4_getattr = lazy_exports(__name__, _V4_EXPORTS, globals())[0]


def __getattr__(name: str) -> Any:
    """v4's helpers, loaded on first use (typed ``Any`` for checkers)."""
    return _v4_getattr(name)
