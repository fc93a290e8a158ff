"""Metrics: sketch accuracy, sliding windows, bounded memory and the seed's awaitable API."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.monitoring import (
    LogSketch,
    MetricsError,
    OperationMetrics,
    ResultMetricsCollector,
    collect_flux_result_metric,
    collect_result_metric,
    disable_monitoring,
    enable_monitoring,
    log_result_operation,
)
from rfs.reactive import FluxResult
from rfs.result import Failure, Result, Success


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@settings(max_examples=200)
@given(
    st.lists(st.floats(min_value=1e-3, max_value=1e7, allow_nan=False), min_size=1, max_size=500),
    st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]),
)
def test_sketch_quantiles_within_one_percent(values: list[float], q: float) -> None:
    """Any quantile is within 1% relative error of the exact value at the same rank."""
    sketch = LogSketch()
    for v in values:
        sketch.add(v)
    exact = sorted(values)[math.floor(q * (len(values) - 1))]
    assert abs(sketch.quantile(q) - exact) <= 0.01 * exact


@given(
    st.lists(st.floats(min_value=1e-3, max_value=1e5), max_size=100),
    st.lists(st.floats(min_value=1e-3, max_value=1e5), max_size=100),
)
def test_sketch_merge_equals_one_sketch(a: list[float], b: list[float]) -> None:
    """Merging two sketches gives the buckets of one sketch fed both lists."""
    sa, sb, both = LogSketch(), LogSketch(), LogSketch()
    for v in a:
        sa.add(v)
        both.add(v)
    for v in b:
        sb.add(v)
        both.add(v)
    sa.merge(sb)
    assert sa.buckets == both.buckets and sa.count == both.count


def test_sketch_memory_is_bounded_whatever_the_count() -> None:
    """Values over 15 decades keep the bucket count at its cap; high quantiles stay exact to 1%."""
    sketch = LogSketch(max_buckets=512)
    values = [10 ** ((i % 1500) / 100 - 6) for i in range(100_000)]
    for v in values:
        sketch.add(v)
    assert len(sketch.buckets) <= 512 and sketch.count == 100_000
    exact = sorted(values)[math.floor(0.99 * (len(values) - 1))]
    assert abs(sketch.quantile(0.99) - exact) <= 0.01 * exact


async def test_operation_metrics_counts_rates_and_errors() -> None:
    """Counts, success rate, percentiles and error breakdown come out of one window."""
    clock = Clock()
    c = ResultMetricsCollector(clock=clock)
    for i in range(1, 101):
        c.record("op", Success(i), float(i))
    for _ in range(5):
        c.record("op", Failure(KeyError("k")), 200.0)
    metrics = (await c.get_operation_metrics("op", time_range="1m")).unwrap()
    assert isinstance(metrics, OperationMetrics)
    assert (metrics.total_requests, metrics.failed_requests) == (105, 5)
    assert abs(metrics.success_rate - 100 / 105) < 1e-9
    assert abs(metrics.p50_response_time_ms - 53) <= 0.53
    assert metrics.max_response_time_ms == 200.0
    assert metrics.error_breakdown == {"KeyError": 5}
    assert metrics.top_errors == [("'k'", 5)]


async def test_windows_slide() -> None:
    """An observation leaves the 1m window after a minute but stays in the 1h window."""
    clock = Clock()
    c = ResultMetricsCollector(clock=clock)
    c.record("op", Success(1), 5.0)
    clock.now += 70
    assert (await c.get_operation_metrics("op", "1m")).unwrap().total_requests == 0
    assert (await c.get_operation_metrics("op", "1h")).unwrap().total_requests == 1
    clock.now += 2 * 86400
    assert (await c.get_operation_metrics("op", "1d")).unwrap().total_requests == 0


async def test_bad_range_and_unknown_operation_are_failures() -> None:
    """An unknown time range or operation is a MetricsError Failure, not an exception."""
    c = ResultMetricsCollector()
    c.record("op", Success(1), 1.0)
    bad = await c.get_operation_metrics("op", "2w")
    assert isinstance(bad, Failure) and bad.error.kind == "unknown_time_range"
    missing = await c.get_operation_metrics("nope")
    assert isinstance(missing, Failure) and isinstance(missing.error, MetricsError)


async def test_seed_usage_awaits_and_binds() -> None:
    """Seed 004: instance().get_operation_metrics(...).bind_result(...) awaited gives a Result."""
    enable_monitoring()
    try:

        @log_result_operation("seed_metrics_op")
        async def op() -> Result[int, str]:
            return Success(1)

        await op()
        report = await (
            ResultMetricsCollector.instance()
            .get_operation_metrics("seed_metrics_op", time_range="1h")
            .bind_result(lambda m: Success({"total": m.total_requests}))
        )
    finally:
        disable_monitoring()
    assert report.unwrap()["total"] >= 1


def test_v4_collect_helpers_feed_the_collector() -> None:
    """collect_result_metric and collect_flux_result_metric record into the global collector."""
    collect_result_metric("v4_op", Failure("x"), 3.0)
    collect_flux_result_metric("v4_flux", FluxResult.from_results([Success(1), Failure("e")]), 4.0)
    inst = ResultMetricsCollector.instance()
    assert inst.snapshot("v4_op").unwrap().failed_requests == 1
    flux = inst.snapshot("v4_flux").unwrap()
    assert (flux.total_requests, flux.failed_requests) == (2, 1)


def test_operation_count_is_capped() -> None:
    """Past max_operations new names are dropped and counted, keeping memory bounded."""
    c = ResultMetricsCollector(max_operations=2)
    for name in "abc":
        c.record(name, Success(1), 1.0)
    assert c.operations() == ["a", "b"] and c.dropped_operations == 1


@settings(max_examples=200)
@given(
    st.lists(st.floats(min_value=1e-3, max_value=1e7, allow_nan=False), min_size=1, max_size=500),
    st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]),
)
def test_batch_path_quantiles_within_one_percent(values: list[float], q: float) -> None:
    """Observations folded in batches keep the 1% bound and the exact count, sum and max."""
    c = ResultMetricsCollector(clock=Clock())
    for v in values:
        c.observe("op", True, v)
    m = c.snapshot("op", "1m").unwrap()
    exact = sorted(values)[math.floor(q * (len(values) - 1))]
    got = {0.5: m.p50_response_time_ms, 0.9: m.p90_response_time_ms}
    got[0.99] = m.p99_response_time_ms
    if q in got:
        assert abs(got[q] - exact) <= 0.01 * exact
    assert m.total_requests == len(values) and m.max_response_time_ms == max(values)
    assert math.isclose(m.avg_response_time_ms, sum(values) / len(values), rel_tol=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7200), st.booleans()), min_size=1, max_size=300))
def test_every_window_counts_what_happened_inside_it(steps: list[tuple[int, bool]]) -> None:
    """Whatever the spacing of observations, each range counts exactly those inside its window
    (slices close lazily into the coarse rings; none is counted twice or lost)."""
    clock = Clock()
    c = ResultMetricsCollector(clock=clock)
    seen: list[tuple[float, bool]] = []
    for gap, ok in steps:
        clock.now += gap
        c.observe("op", ok, 1.0, None if ok else KeyError("k"))
        seen.append((clock.now, ok))
    for name, (width, n) in (("1m", (10, 6)), ("5m", (30, 10)), ("1h", (300, 12))):
        current = int(clock.now // width)
        inside = [ok for t, ok in seen if current - n < int(t // width) <= current]
        m = c.snapshot("op", name).unwrap()
        assert (m.total_requests, m.failed_requests) == (len(inside), inside.count(False))
    sketch, failures = c.totals("op") or (None, -1)
    assert sketch is not None and sketch.count == len(seen)
    assert failures == [ok for _, ok in seen].count(False)


def test_pending_buffer_is_bounded_whatever_the_rate() -> None:
    """A burst in one slice never keeps more than the fold size pending."""
    from rfs.monitoring.windows import PENDING_MAX

    c = ResultMetricsCollector(clock=Clock())
    for i in range(50_000):
        c.observe("op", i % 10 != 0, 1.0 + i % 97, None if i % 10 else ValueError("bad"))
        assert i % 4096 or c.pending("op") < PENDING_MAX
    m = c.snapshot("op", "1m").unwrap()
    assert (m.total_requests, m.failed_requests) == (50_000, 5_000)
    assert m.error_breakdown == {"ValueError": 5_000}


def test_v4_start_and_stop_monitoring() -> None:
    """start_monitoring turns the hook on (and the alert evaluator), stop_monitoring off."""
    from rfs.monitoring import hook, start_monitoring, stop_monitoring

    collector = start_monitoring(alert_interval=None)
    try:
        assert hook.monitor is not None and collector in hook.monitor.sinks
    finally:
        stop_monitoring()
    assert hook.monitor is None


def test_recorders_count_exactly_across_sinks_and_clear() -> None:
    """A decorated function records through its resolved recorder into every sink (also one
    with only ``observe``), and keeps counting after the collector forgets its operations."""
    from rfs.monitoring import hook

    seen: list[tuple[str, bool]] = []

    class ObserveOnly:
        def observe(
            self, operation: str, ok: bool, ms: float, error: object = None, sub: str = "app"
        ) -> None:
            seen.append((operation, ok))

    collector = enable_monitoring(ResultMetricsCollector())
    sink = ObserveOnly()
    hook.add_sink(sink)

    @log_result_operation("rec_op")
    def op(ok: bool) -> Result[int, str]:
        return Success(1) if ok else Failure("no")

    try:
        for ok in (True, False, True):
            op(ok)
        m = collector.snapshot("rec_op", "1m").unwrap()
        assert (m.total_requests, m.failed_requests) == (3, 1)
        collector.clear()
        op(True)
        op(False)
        m = collector.snapshot("rec_op", "1m").unwrap()
        assert (m.total_requests, m.failed_requests) == (2, 1)
        assert seen == [("rec_op", ok) for ok in (True, False, True, True, False)]
    finally:
        hook.remove_sink(sink)
        disable_monitoring()


def test_untimed_and_mixed_batches_keep_counts_and_quantiles() -> None:
    """Zero durations (untimed counts) and batches mixing zeros with latencies fold exactly."""
    c = ResultMetricsCollector(clock=Clock())
    for _ in range(1000):
        c.observe("count", True, 0.0)
    m = c.snapshot("count", "1m").unwrap()
    assert (m.total_requests, m.p99_response_time_ms, m.max_response_time_ms) == (1000, 0.0, 0.0)
    values = [0.0] * 300 + [float(v) for v in range(1, 701)]
    for v in values:
        c.observe("mixed", True, v)
    m = c.snapshot("mixed", "1m").unwrap()
    exact = sorted(values)[math.floor(0.9 * (len(values) - 1))]
    assert m.total_requests == 1000 and m.p50_response_time_ms == pytest.approx(200, rel=0.01)
    assert abs(m.p90_response_time_ms - exact) <= 0.01 * exact


def test_concurrent_recording_and_reading_loses_nothing() -> None:
    """Threads recording through one recorder while another reads (folding) count exactly."""
    import threading

    c = ResultMetricsCollector()
    record = c.recorder("busy")
    per_thread, threads = 20_000, 3

    def work() -> None:
        for i in range(per_thread):
            record(i % 7 != 0, 0.5 + i % 13, None if i % 7 else ValueError("x"))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    while any(w.is_alive() for w in workers):
        c.snapshot("busy", "1h")
    for w in workers:
        w.join()
    m = c.snapshot("busy", "1h").unwrap()
    failures = threads * len(range(0, per_thread, 7))
    assert (m.total_requests, m.failed_requests) == (threads * per_thread, failures)
