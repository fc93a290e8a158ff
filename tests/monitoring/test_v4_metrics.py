"""RFS v4's ``ResultMetricsCollector`` methods (``collect_metric``, ``get_metric_value``,
``get_metrics_summary``, ``clear_metrics``, ``max_history_size``) on the one collector."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from rfs.monitoring import MetricType, ResultMetricsCollector, collect_metric, get_metrics_summary
from rfs.result import Failure, Success


@pytest.fixture
def metrics_collector() -> Iterator[ResultMetricsCollector]:
    """A collector of its own, cleared after the test (v4's own fixture)."""
    collector = ResultMetricsCollector()
    yield collector
    collector.clear_metrics()


def test_get_metric_value_by_kind(metrics_collector: ResultMetricsCollector) -> None:
    """A counter's total, a gauge's and a histogram's or timer's last value, by name and
    labels; None for a series never recorded or other labels."""
    c = metrics_collector
    c.collect_metric("test_counter", 5, MetricType.COUNTER, {"service": "test"})
    c.collect_metric("test_counter", 2, MetricType.COUNTER, {"service": "test"})
    c.collect_metric("test_gauge", 85.5, MetricType.GAUGE, {"service": "test"})
    c.collect_metric("test_gauge", 80.25, "gauge", {"service": "test"})
    for ms in (150.0, 250.0, 100.0):
        c.collect_metric("test_timer", ms, MetricType.TIMER)
    c.collect_metric("test_histogram", 3.0, MetricType.HISTOGRAM, metadata={"unit": "kb"})
    assert c.get_metric_value("test_counter", {"service": "test"}) == 7
    assert c.get_metric_value("test_gauge", {"service": "test"}) == 80.25
    assert c.get_metric_value("test_timer") == 100.0
    assert c.get_metric_value("test_histogram") == 3.0
    assert c.get_metric_value("test_counter", {"service": "other"}) is None
    assert c.get_metric_value("never_recorded") is None
    assert c.get_metric_value("test_counter") == 7  # a bare name totals its labelled counters


def test_summary_holds_the_series_and_the_same_collectors_windows(
    metrics_collector: ResultMetricsCollector,
) -> None:
    """get_metrics_summary lists the collector's series by kind and the operations its windows
    hold, over the window covering time_range_minutes."""
    c = metrics_collector
    for i in range(10):
        c.collect_metric("response_time", i * 100, MetricType.HISTOGRAM, {"endpoint": "/api"})
    c.record("checkout", Success(1), 12.0)
    c.record("checkout", Failure("declined"), 30.0)
    summary = c.get_metrics_summary(5)
    stats = summary["histograms"]["response_time{endpoint=/api}"]
    assert (stats["count"], stats["min"], stats["max"]) == (10, 0, 900)
    assert stats["mean"] == pytest.approx(450)
    assert summary["operations"]["checkout"]["failed_requests"] == 1
    assert summary["operations"]["checkout"]["time_window"] == "5m"
    assert summary["time_range_minutes"] == 5 and summary["generated_at"]
    assert c.get_metrics_summary(1440)["operations"]["checkout"]["time_window"] == "1d"


def test_clear_metrics_forgets_series_and_windows(
    metrics_collector: ResultMetricsCollector,
) -> None:
    """clear_metrics (v4) forgets the series and the operations, like clear."""
    c = metrics_collector
    c.collect_metric("jobs_total", 1, MetricType.COUNTER)
    c.record("nightly", Success(1), 5.0)
    c.clear_metrics()
    assert c.get_metric_value("jobs_total") is None
    assert c.operations() == []
    assert c.snapshot("nightly").unwrap_error().kind == "unknown_operation"
    summary = c.get_metrics_summary()
    assert (summary["counters"], summary["operations"]) == ({}, {})
    c.collect_metric("jobs_total", 2, MetricType.COUNTER)
    c.clear()
    assert c.metric_values() == {}


def test_each_collector_has_its_own_series(metrics_collector: ResultMetricsCollector) -> None:
    """As in v4, a collector built with ResultMetricsCollector() keeps its own series; the
    module-level collect_metric and get_metrics_summary are the process-wide collector's."""
    name = f"queue_depth_{uuid.uuid4().hex[:8]}"
    shared = ResultMetricsCollector.instance()
    metrics_collector.collect_metric(name, 4)
    try:
        assert shared.get_metric_value(name) is None
        collect_metric(name, 9, MetricType.GAUGE, {"queue": "mail"})
        assert shared.get_metric_value(name, {"queue": "mail"}) == 9
        assert get_metrics_summary()["gauges"][f"{name}{{queue=mail}}"] == 9
        assert metrics_collector.metric_values(name) == {name: 4}
    finally:
        shared.clear()


def test_max_history_size_is_v4s_first_argument() -> None:
    """ResultMetricsCollector(5000) and max_history_size= work as in v4; clock and
    max_operations are keyword-only, so a clock passed first is refused clearly."""
    assert ResultMetricsCollector(5000).max_history_size == 5000
    assert ResultMetricsCollector(max_history_size=10).max_history_size == 10
    assert ResultMetricsCollector().max_history_size == 10000
    for bad in (0, -1, 2.5, True, lambda: 1.0):
        with pytest.raises(ValueError, match="max_history_size"):
            ResultMetricsCollector(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", 1), "non-empty string"),
        (("x", 1, "bogus"), "type 'bogus' is not one of counter, gauge, histogram, timer"),
        (("x", float("nan")), "finite number"),
        (("x", "3"), "finite number"),
        (("x", 1, MetricType.GAUGE, ["a"]), "labels are a mapping"),
    ],
)
def test_collect_metric_refuses_bad_input(
    metrics_collector: ResultMetricsCollector, args: tuple[object, ...], message: str
) -> None:
    """A bad name, type, value or labels is a ValueError saying which; nothing is recorded."""
    with pytest.raises(ValueError, match=message):
        metrics_collector.collect_metric(*args)  # type: ignore[arg-type]
    assert metrics_collector.metric_values() == {}


@pytest.mark.parametrize("bad", [0, -5, float("nan"), True, "60"])
def test_get_metrics_summary_refuses_a_range_that_is_not_positive(
    metrics_collector: ResultMetricsCollector, bad: object
) -> None:
    """time_range_minutes is a positive number."""
    with pytest.raises(ValueError, match="time_range_minutes is a positive number"):
        metrics_collector.get_metrics_summary(bad)  # type: ignore[arg-type]
