"""RFS v4's monitoring names behave as v4 documents them."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

import rfs.monitoring
from rfs.monitoring import (
    AlertCondition,
    AlertManager,
    CorrelationContext,
    Deliverer,
    LoggingMonoResult,
    LogLevel,
    MetricType,
    ResultLogger,
    ResultMetricsCollector,
    collect_flux_result_metric,
    collect_metric,
    collect_result_metric,
    configure_result_logging,
    create_alert_rule,
    create_logging_mono,
    current_correlation_id,
    get_alert_manager,
    get_correlation_id,
    get_dashboard_data,
    get_metrics_summary,
    log_flux_results,
    log_result_operation,
    reset_metrics,
    setup_default_alerts,
    start_monitoring,
    stop_monitoring,
)
from rfs.monitoring.logging_setup import record_fields
from rfs.reactive import FluxResult
from rfs.result import Failure, Result, Success


def test_result_logger_logs_operation_steps_and_result(caplog: pytest.LogCaptureFixture) -> None:
    """start/step/result/complete log on rfs.result.<name> under one correlation id."""
    caplog.set_level(logging.INFO, logger="rfs.result")
    log = ResultLogger("orders", LogLevel.INFO)
    with CorrelationContext("v4-cid"):
        cid = log.start_operation("place", {"n": 1})
        log.log_step("validate", 1.5, "success")
        log.log_result(Failure("declined"), "place")
        log.complete_operation("place", "failure")
    assert cid == "v4-cid"
    assert {r.name for r in caplog.records} == {"rfs.result.orders"}
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "ERROR", "WARNING"]
    assert all(r.correlation_id == "v4-cid" for r in caplog.records)  # type: ignore[attr-defined]


async def test_logging_mono_result_steps(caplog: pytest.LogCaptureFixture) -> None:
    """LoggingMonoResult logs its steps, errors and performance, and keeps the Result."""
    caplog.set_level(logging.INFO, logger="rfs.result")

    async def source() -> Success[int]:
        return Success(2)

    mono = LoggingMonoResult(source, "m").log_step("load").log_error("ctx")
    assert await mono.to_result() == Success(2)
    assert await create_logging_mono(source, "op").to_result() == Success(2)
    messages = [r.getMessage() for r in caplog.records]
    assert "step load: success" in messages and "performance op" in messages


async def test_log_flux_results_counts() -> None:
    """log_flux_results returns the counts and the correlation id of the batch."""
    flux = FluxResult.from_results([Success(1), Failure("x"), Success(3)])
    out = await log_flux_results(flux, "batch")
    assert (out["total"], out["success"], out["failure"]) == (3, 2, 1) and out["correlation_id"]


def test_configure_result_logging_shows_v4_loggers_and_decorated_functions() -> None:
    """configure_result_logging sends rfs.result.* (v4's loggers) and rfs.monitoring (where
    log_result_operation logs without a logger) to one handler at the given level, so v4 code
    sees its decorated functions' entries as in v4."""
    handler = configure_result_logging(LogLevel.WARNING)
    stream = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)

    @log_result_operation("v4_default_failing")
    def failing() -> Result[int, str]:
        return Failure("nope")

    @log_result_operation("v4_named_failing", logger_name="orders")
    def named() -> Result[int, str]:
        return Failure("declined")

    @log_result_operation("v4_default_ok")
    def ok() -> Result[int, str]:
        return Success(1)

    try:
        failing(), named(), ok()
        lines = stream.getvalue().splitlines()
    finally:
        for name in ("rfs.result", "rfs.monitoring"):
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert len(lines) == 2  # the success is below WARNING
    assert " ERROR rfs.monitoring " in lines[0] and "v4_default_failing" in lines[0]
    assert " ERROR rfs.result.orders " in lines[1] and "v4_named_failing" in lines[1]


def test_log_result_operation_logger_name_is_v4s_result_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """logger_name= is v4's: the entry goes to rfs.result.<name>, as ResultLogger(name) logs,
    dotted names included; logger= is a full logger name (or a Logger); neither gives
    rfs.monitoring."""
    caplog.set_level(logging.INFO)

    def succeed() -> Result[int, str]:
        return Success(1)

    plain = logging.getLogger("tests.v4.plain")
    log_result_operation("a", logger_name="default")(succeed)()
    log_result_operation("b", "orders.api")(succeed)()  # v4's positional logger_name
    log_result_operation("c", logger="tests.v4.full")(succeed)()
    log_result_operation("d", logger=plain)(succeed)()
    log_result_operation("e")(succeed)()
    ResultLogger("orders.api").log_step("s", 1.0)
    names = [(r.getMessage().split(":")[0], r.name) for r in caplog.records]
    assert names == [
        ("a", "rfs.result.default"),
        ("b", "rfs.result.orders.api"),
        ("c", "tests.v4.full"),
        ("d", "tests.v4.plain"),
        ("e", "rfs.monitoring"),
        ("step s", "rfs.result.orders.api"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"logger_name": "orders", "logger": "app"}, "not both"),
        ({"logger_name": ""}, "logger_name is a non-empty string"),
        ({"logger": ""}, "logger is a Logger or a non-empty logger name"),
        ({"logger": 3}, "logger is a Logger or a non-empty logger name"),
    ],
)
def test_log_result_operation_refuses_an_ambiguous_logger(
    kwargs: dict[str, Any], message: str
) -> None:
    """Both logger and logger_name, or an empty name, is a ValueError at decoration time."""
    with pytest.raises(ValueError, match=message):
        log_result_operation("x", **kwargs)


# -- v4's metrics, in the usage of v4's guide (docs/22-monitoring-observability.md) -----------


@pytest.fixture
def fresh() -> Iterator[str]:
    """Empty generic series and a unique operation name."""
    reset_metrics()
    yield f"op-{uuid.uuid4().hex[:8]}"
    reset_metrics()


def test_v4_module_paths_give_the_same_objects() -> None:
    """v4's imports from rfs.monitoring.metrics and rfs.monitoring.result_logging work."""
    from rfs.monitoring import metrics, result_logging

    for name in ("collect_metric", "collect_result_metric", "collect_flux_result_metric",
                 "create_alert_rule", "AlertCondition", "setup_default_alerts",
                 "get_metrics_summary", "get_dashboard_data", "start_monitoring",
                 "stop_monitoring", "MetricType"):  # fmt: skip
        assert getattr(metrics, name) is getattr(rfs.monitoring, name), name
    for name in ("configure_result_logging", "log_result_operation", "CorrelationContext",
                 "get_correlation_id", "create_logging_mono", "with_correlation_id",
                 "ResultLogger", "LogLevel", "LoggingMonoResult", "log_flux_results"):  # fmt: skip
        assert getattr(result_logging, name) is getattr(rfs.monitoring, name), name


def test_collect_metric_with_labels_into_the_summary(fresh: str) -> None:
    """labels= and v4's summary keys: counters (also totalled by bare name), gauges (last value)
    and histogram statistics (count, mean, p95, max ...)."""
    collect_metric("api_requests_total", 1, MetricType.COUNTER,
                   labels={"endpoint": "/users", "method": "GET"})  # fmt: skip
    collect_metric("api_requests_total", 2, MetricType.COUNTER, labels={"endpoint": "/orders"})
    collect_metric("response_time_ms", 250.5, MetricType.HISTOGRAM, labels={"endpoint": "/users"})
    collect_metric("response_time_ms", 100.0, MetricType.HISTOGRAM, labels={"endpoint": "/x"})
    collect_metric("active_connections", 45, MetricType.GAUGE)
    collect_metric("active_connections", 40)  # a gauge by default
    metrics = get_metrics_summary(time_range_minutes=60)
    assert metrics["counters"]["api_requests_total"] == 3
    assert metrics["counters"]["api_requests_total{endpoint=/users,method=GET}"] == 1
    assert metrics["gauges"] == {"active_connections": 40}
    response_times = metrics["histograms"]["response_time_ms"]
    assert response_times["count"] == 2 and response_times["max"] == 250.5
    assert response_times["mean"] == pytest.approx(175.25)
    assert metrics["histograms"]["response_time_ms{endpoint=/x}"]["count"] == 1
    assert metrics["time_range_minutes"] == 60 and metrics["generated_at"]
    assert metrics["timers"] == {}
    for ms in range(1, 101):
        collect_metric("render_ms", ms, MetricType.TIMER)
    render = get_metrics_summary()["timers"]["render_ms"]
    assert (render["count"], render["sum"], render["min"], render["max"]) == (100, 5050, 1, 100)
    assert render["p95"] == pytest.approx(95, rel=0.02)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "3", True])
def test_collect_metric_refuses_a_value_that_is_not_a_number(bad: object, fresh: str) -> None:
    """NaN, infinities, text and bools are refused; so is an unknown type."""
    with pytest.raises(ValueError, match="finite number"):
        collect_metric("x", bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        collect_metric("x", 1, "bogus")


def test_collect_result_metric_series_and_operation(fresh: str) -> None:
    """collect_result_metric fills v4's result_* series and the operation's windows."""
    collect_result_metric(fresh, Success({"id": 1}), 12.0)
    collect_result_metric(fresh, Failure("declined"), 30.0, labels={"service": "users"})
    metrics = get_metrics_summary(time_range_minutes=5)
    assert metrics["counters"]["result_success_total"] == 1
    assert metrics["counters"]["result_failure_total"] == 1
    by_type = f"result_error_by_type_total{{error_type=str,operation={fresh},service=users}}"
    assert metrics["counters"][by_type] == 1
    assert metrics["histograms"]["result_duration_ms"]["count"] == 2
    assert metrics["operations"][fresh]["failed_requests"] == 1
    assert metrics["operations"][fresh]["time_window"] == "5m"


def test_collect_flux_result_metric_series(fresh: str) -> None:
    """collect_flux_result_metric fills v4's flux_result_* series and the success-rate gauge."""
    flux = FluxResult.from_results([Success(1), Failure("x"), Success(3)])
    collect_flux_result_metric(fresh, flux, 9.0)
    metrics = get_metrics_summary()
    counters, tag = metrics["counters"], f"{{operation={fresh}}}"
    assert counters["flux_result_total_items" + tag] == 3
    assert (counters["flux_result_success_items"], counters["flux_result_failure_items"]) == (2, 1)
    assert metrics["gauges"]["flux_result_success_rate" + tag] == pytest.approx(2 / 3)
    assert metrics["operations"][fresh]["total_requests"] == 3


def test_dashboard_has_v4_keys(fresh: str) -> None:
    """get_dashboard_data(): metrics_summary, active_alerts, alert_rules, system_status."""
    start_monitoring()
    try:
        collect_metric("active_connections", 4)
        dashboard = get_dashboard_data()
        status = dashboard["system_status"]
        assert status["monitoring_active"] is True and status["total_metrics"] == 1
        assert datetime.fromisoformat(status["timestamp"])
        assert dashboard["metrics_summary"]["gauges"] == {"active_connections": 4}
        assert isinstance(dashboard["active_alerts"], list)
        assert isinstance(dashboard["alert_rules"], list)
    finally:
        stop_monitoring()
    assert get_dashboard_data()["system_status"]["monitoring_active"] is False


async def test_create_alert_rule_fires_once_and_resolves(fresh: str) -> None:
    """A v4 threshold rule fires once while breached, resolves after; sync and async callbacks
    get the alert with v4's keys; the dashboard lists the rule and the active alert."""
    seen: list[dict[str, Any]] = []
    values: list[float] = []

    async def escalate(alert: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        values.append(alert["current_value"])

    metric = f"{fresh}_queue_depth"
    create_alert_rule(
        name=f"{fresh}-high",
        metric_name=metric,
        condition=AlertCondition.GREATER_THAN,
        threshold=2.0,
        callback=seen.append,
    )
    create_alert_rule(f"{fresh}-async", metric, "gt", 2.0, callback=escalate)
    manager = get_alert_manager()
    collect_metric(metric, 3, MetricType.GAUGE, labels={"queue": "mail"})
    fired = [n for n in manager.evaluate() if n["metric_name"] == metric]
    assert {(n["name"], n["state"], n["current_value"]) for n in fired} == {
        (f"{fresh}-high", "firing", 3.0),
        (f"{fresh}-async", "firing", 3.0),
    }
    assert not [n for n in manager.evaluate() if n["metric_name"] == metric]  # de-duplicated
    dashboard = get_dashboard_data()
    assert f"{fresh}-high" in {a["name"] for a in dashboard["active_alerts"]}
    rule = {"name": f"{fresh}-high", "metric_name": metric, "condition": "gt",
            "threshold": 2.0, "enabled": True}  # fmt: skip
    assert rule in dashboard["alert_rules"]
    collect_metric(metric, 1, MetricType.GAUGE, labels={"queue": "mail"})
    resolved = [n for n in manager.evaluate() if n["metric_name"] == metric]
    assert {n["state"] for n in resolved} == {"resolved"} and len(resolved) == 2
    assert await asyncio.to_thread(manager.deliverer.join, 5)
    assert [(a["state"], a["threshold"]) for a in seen] == [("firing", 2.0), ("resolved", 2.0)]
    assert {"metric_name", "current_value", "threshold", "timestamp"} <= set(seen[0])
    assert values == [3.0, 1.0]


def test_setup_default_alerts_at_startup_covers_later_operations(fresh: str) -> None:
    """Called before any operation is seen (as v4 does), the defaults cover operations that
    report later; v4's low_batch_success_rate watches each batch's success rate in the
    manager's own collector."""
    manager = AlertManager(ResultMetricsCollector(), Deliverer())
    assert setup_default_alerts(manager=manager) == []
    for i in range(20):
        manager.collector.record(fresh, Failure("boom") if i % 2 else Success(i), 5.0)
    manager.collector.collect_metric(
        "flux_result_success_rate", 0.5, MetricType.GAUGE, {"operation": fresh}
    )
    notes = manager.evaluate()
    names = {(n["name"], n["state"]) for n in notes}
    assert (f"high_failure_rate:{fresh}", "firing") in names
    assert ("low_batch_success_rate", "firing") in names
    assert f"slow_response_time:{fresh}" in {r.name for r in manager.rules()}
    assert setup_default_alerts(fresh, manager) == []  # already there


def test_result_logger_v4_signatures(caplog: pytest.LogCaptureFixture) -> None:
    """log_step's default status, log_performance's counts/rate/additional_metrics, log_error
    with an optional operation name, context details and the traceback."""
    caplog.set_level(logging.INFO, logger="rfs.result")
    log = ResultLogger("orders")
    log.log_step("validate", 1.5)
    log.log_performance("place", 12.0, success_count=3, failure_count=1,
                        additional_metrics={"batch": 4})  # fmt: skip
    try:
        raise ValueError("bad amount")
    except ValueError as exc:
        log.log_error(exc, "place", context_details={"duration_ms": 3})
    log.log_error(RuntimeError("lost"))
    step, perf, err, bare = (record_fields(r) for r in caplog.records)
    assert (step["status"], step["event_type"]) == ("success", "step_completion")
    assert caplog.records[0].levelname == "INFO"
    assert (perf["total_operations"], perf["success_rate"], perf["batch"]) == (4, 0.75, 4)
    assert err["operation_name"] == "place" and err["duration_ms"] == 3
    assert (
        "ValueError: bad amount" in err["traceback"] and err["event_type"] == "exception_occurred"
    )
    assert bare["operation_name"] == "unknown" and bare["error_type"] == "RuntimeError"
    empty = ResultLogger("x")
    with caplog.at_level(logging.INFO, logger="rfs.result"):
        empty.log_performance("none", 1.0)
    assert record_fields(caplog.records[-1])["success_rate"] == 0.0


async def test_logging_mono_as_v4_guide_writes_it(caplog: pytest.LogCaptureFixture) -> None:
    """create_logging_mono without an operation name; log_step with a description; an
    exception is logged as a failed performance and re-raised."""
    caplog.set_level(logging.INFO, logger="rfs.result")

    async def initial() -> Result[int, str]:
        return Success(1)

    out = await (
        create_logging_mono(lambda: initial())
        .log_step("initial_processing", "데이터 초기 처리 완료")
        .log_performance("total_processing_time")
        .to_result()
    )
    assert out == Success(1)
    fields = [record_fields(r) for r in caplog.records]
    step = next(f for f in fields if f.get("step_name") == "initial_processing")
    assert step["details"] == "데이터 초기 처리 완료"
    assert {f.get("operation_name") for f in fields} >= {"mono_operation", "total_processing_time"}

    async def broken() -> Result[int, str]:
        raise OSError("disk")

    with pytest.raises(OSError):
        await LoggingMonoResult(broken).log_performance("io").to_result()
    assert record_fields(caplog.records[-1])["failure_count"] == 1


async def test_correlation_context_async_with() -> None:
    """``async with CorrelationContext(id)`` as v4's guide writes it; the id is reset after."""
    async with CorrelationContext("req_12345") as cid:
        assert cid == get_correlation_id() == "req_12345"
    assert current_correlation_id() is None
