"""Prometheus text and OpenTelemetry spans/metrics produced with the real libraries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from prometheus_client.parser import text_string_to_metric_families

from rfs.monitoring import ResultMetricsCollector, correlation_scope, hook, log_result_operation
from rfs.monitoring.otel import instrument, uninstrument
from rfs.monitoring.prometheus import PrometheusExporter, metrics_text
from rfs.result import Failure, Result, Success


def test_prometheus_text_has_histogram_failures_and_quantiles() -> None:
    """/metrics text parses and holds the cumulative histogram, failures and windowed p99."""
    c = ResultMetricsCollector()
    for ms in (1.0, 20.0, 300.0):
        c.record("checkout", Success(1), ms)
    c.record("checkout", Failure("declined"), 2000.0)
    text = metrics_text(PrometheusExporter(c).register()).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    hist = {
        s.labels.get("le"): s.value
        for s in families["rfs_operation_duration_seconds"].samples
        if s.name.endswith("_bucket")
    }
    assert hist["0.025"] == 2.0 and hist["0.5"] == 3.0 and hist["+Inf"] == 4.0
    failures = families["rfs_operation_failures"].samples[0]
    assert failures.value == 1.0 and failures.labels["operation"] == "checkout"
    p99 = [
        s
        for s in families["rfs_operation_latency_seconds"].samples
        if s.labels["quantile"] == "0.99" and s.labels["window"] == "1m"
    ]
    assert abs(p99[0].value - 0.3) <= 0.003  # rank floor(0.99 * 3): the third of four values


@pytest.fixture
def otel() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    spans = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    mp = MeterProvider(metric_readers=[reader])
    instrument(tracer_provider=tp, meter_provider=mp)
    yield spans, reader
    uninstrument()


async def test_spans_carry_outcome_and_correlation_id(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    """Each decorated call is a span; a Failure sets ERROR status and error.type."""
    spans, _ = otel

    @log_result_operation("charge")
    async def charge(ok: bool) -> Result[int, ValueError]:
        return Success(1) if ok else Failure(ValueError("no funds"))

    with correlation_scope("cid-otel"):
        await charge(True)
        await charge(False)
    ok, bad = spans.get_finished_spans()
    assert ok.name == bad.name == "charge"
    assert ok.attributes["rfs.correlation_id"] == "cid-otel"
    assert bad.status.status_code is StatusCode.ERROR
    assert bad.attributes["error.type"] == "ValueError"


def test_duration_histogram_has_exemplar_linking_trace(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    """The duration is recorded inside the span, so the SDK's exemplar names its trace."""
    spans, reader = otel

    @log_result_operation("lookup_ex")
    def lookup() -> Result[int, str]:
        return Success(1)

    lookup()
    trace_id = spans.get_finished_spans()[0].context.trace_id
    data = reader.get_metrics_data()
    points = [
        p
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "rfs.operation.duration"
        for p in m.data.data_points
    ]
    assert points and points[0].count == 1
    exemplars = [e for p in points for e in getattr(p, "exemplars", [])]
    assert any(e.trace_id == trace_id for e in exemplars)


def test_subsystem_reports_reach_otel_histogram(
    otel: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    """A hook report from a subsystem is recorded with its subsystem attribute."""
    _, reader = otel
    hook.report("saga.step", False, 3.0, KeyError("x"), subsystem="saga")
    data = reader.get_metrics_data()
    attrs = [
        dict(p.attributes)
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "rfs.operation.duration"
        for p in m.data.data_points
    ]
    assert {
        "rfs.operation": "saga.step",
        "rfs.subsystem": "saga",
        "error.type": "KeyError",
    } in attrs
