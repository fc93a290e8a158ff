"""RFS v4's ``ResultAlertManager`` and threshold rules, evaluated by the one ``AlertManager``."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import rfs.monitoring
from rfs.monitoring import (
    AlertCondition,
    AlertManager,
    AlertRule,
    Deliverer,
    MetricType,
    ResultAlertManager,
    ResultMetricsCollector,
)


def test_result_alert_manager_is_an_alert_manager_built_as_v4_builds_it() -> None:
    """ResultAlertManager(metrics_collector) and the keyword form; metrics_collector is the
    collector its rules read; v4's import paths give the same class."""
    from rfs.monitoring import metrics

    collector = ResultMetricsCollector()
    by_position = ResultAlertManager(collector)
    by_keyword = ResultAlertManager(metrics_collector=collector)
    assert isinstance(by_position, AlertManager)
    assert by_position.metrics_collector is by_keyword.collector is collector
    assert metrics.ResultAlertManager is rfs.monitoring.ResultAlertManager is ResultAlertManager
    assert metrics.AlertCondition is AlertCondition
    assert isinstance(ResultAlertManager().collector, ResultMetricsCollector)


def test_threshold_rule_fires_once_and_resolves_on_its_own_collector() -> None:
    """add_alert_rule: a rule on the manager's collector fires once while breached (callback
    and get_active_alerts), resolves when the value drops; another collector's series of the
    same name does not count."""
    collector = ResultMetricsCollector()
    manager = ResultAlertManager(collector, Deliverer())
    seen: list[dict[str, Any]] = []
    manager.add_alert_rule(
        "queue_high", "queue_depth", AlertCondition.GREATER_THAN, 10.0, seen.append
    )
    ResultMetricsCollector().collect_metric("queue_depth", 99)
    assert manager.evaluate() == [] and manager.get_active_alerts() == []
    collector.collect_metric("queue_depth", 12, MetricType.GAUGE)
    (fired,) = manager.evaluate()
    assert (fired["name"], fired["state"], fired["current_value"]) == ("queue_high", "firing", 12)
    assert manager.evaluate() == []  # de-duplicated
    assert [a["name"] for a in manager.get_active_alerts()] == ["queue_high"]
    collector.collect_metric("queue_depth", 3)
    assert [n["state"] for n in manager.evaluate()] == ["resolved"]
    assert manager.get_active_alerts() == []
    assert manager.deliverer.join(5)
    assert [(a["state"], a["current_value"]) for a in seen] == [("firing", 12), ("resolved", 3)]


@pytest.mark.parametrize(
    ("condition", "value", "fires"),
    [("gt", 5, False), ("lt", 4, True), ("eq", 5, True), ("ne", 5, False), ("ne", 6, True)],
)
def test_conditions(condition: str, value: float, fires: bool) -> None:
    """Each of v4's conditions compares the value with the threshold (5)."""
    collector = ResultMetricsCollector()
    manager = ResultAlertManager(collector)
    manager.add_alert_rule("r", "m", condition, 5)
    collector.collect_metric("m", value)
    assert bool(manager.evaluate()) is fires


def test_get_alert_rules_lists_threshold_and_window_rules() -> None:
    """get_alert_rules gives v4's dicts for threshold rules, then the window rules; replacing a
    rule by name keeps one."""
    manager = ResultAlertManager(ResultMetricsCollector())
    manager.add_alert_rule("failures", "result_failure_total", AlertCondition.GREATER_THAN, 5)
    manager.add_alert_rule("failures", "result_failure_total", "gt", 2.0)
    manager.add_rule(AlertRule("checkout_slow", "checkout", "p99", 500.0))
    assert manager.get_alert_rules() == [
        {"name": "failures", "metric_name": "result_failure_total", "condition": "gt",
         "threshold": 2.0, "enabled": True},
        {"name": "checkout_slow", "metric_name": "p99(checkout, 5m)", "condition": "gt",
         "threshold": 500.0, "enabled": True},
    ]  # fmt: skip


def test_a_cleared_series_forgets_its_alert() -> None:
    """After clear_metrics the firing state of a rule on a forgotten series is dropped at the
    next evaluation, without a notification."""
    collector = ResultMetricsCollector()
    manager = ResultAlertManager(collector)
    manager.add_alert_rule("depth", "queue_depth", "gt", 1)
    collector.collect_metric("queue_depth", 5, MetricType.GAUGE, {"queue": "a"})
    assert [n["series"] for n in manager.evaluate()] == ["queue_depth{queue=a}"]
    collector.clear_metrics()
    assert manager.evaluate() == [] and manager.get_active_alerts() == []


def test_start_monitoring_evaluates_in_the_background_until_stopped() -> None:
    """start_monitoring(interval) evaluates without a call to evaluate; stop_monitoring ends it."""
    collector = ResultMetricsCollector()
    manager = ResultAlertManager(collector)
    fired = threading.Event()
    manager.add_alert_rule("busy", "active_connections", "gt", 100, lambda alert: fired.set())
    collector.collect_metric("active_connections", 150)
    manager.start_monitoring(0.01)
    try:
        assert fired.wait(5)
    finally:
        manager.stop_monitoring()
    assert [a["name"] for a in manager.get_active_alerts()] == ["busy"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "m", "gt", 1), "name is a non-empty string"),
        (("r", "", "gt", 1), "metric_name is a non-empty string"),
        (("r", "m", "gte", 1), "condition 'gte' is not one of gt, lt, eq, ne"),
        (("r", "m", "gt", "5"), "threshold is a finite number"),
        (("r", "m", "gt", float("inf")), "threshold is a finite number"),
        (("r", "m", "gt", 1, "https://hooks.example/x"), "callback is callable"),
    ],
)
def test_add_alert_rule_refuses_bad_input(args: tuple[Any, ...], message: str) -> None:
    """A bad rule is a ValueError saying what is wrong, and is not added."""
    manager = ResultAlertManager(ResultMetricsCollector())
    with pytest.raises(ValueError, match=message):
        manager.add_alert_rule(*args)
    assert manager.get_alert_rules() == []


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True])
def test_start_monitoring_refuses_an_interval_that_is_not_positive(bad: float) -> None:
    """An interval of zero or less would spin; it is a ValueError."""
    manager = ResultAlertManager(ResultMetricsCollector())
    with pytest.raises(ValueError, match="positive number of seconds"):
        manager.start_monitoring(bad)
