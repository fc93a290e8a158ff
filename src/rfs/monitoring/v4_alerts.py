"""RFS v4's threshold rules (``create_alert_rule``, ``ResultAlertManager.add_alert_rule``): fire
while a named series of the collector meets a condition against a threshold. ``AlertManager``
holds them beside its window rules and evaluates both; one notification per state change."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from rfs.monitoring.metrics import ResultMetricsCollector
from rfs.monitoring.v4_metrics import is_finite_number, member_of


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


@dataclass(frozen=True)
class ThresholdRule:
    """v4's rule: ``condition`` of ``metric_name``'s value against ``threshold``."""

    name: str
    metric_name: str
    condition: AlertCondition
    threshold: float
    callback: Callable[[dict[str, Any]], object] | None = None

    @classmethod
    def parse(
        cls,
        name: str,
        metric_name: str,
        condition: AlertCondition | str,
        threshold: float,
        callback: Callable[[dict[str, Any]], object] | None = None,
    ) -> ThresholdRule:
        """The rule from v4's arguments; ``ValueError`` saying what is wrong with them."""
        for label, text in (("name", name), ("metric_name", metric_name)):
            if not isinstance(text, str) or not text:
                raise ValueError(f"alert rule {label} is a non-empty string, got {text!r}")
        cond = member_of(AlertCondition, condition, f"alert rule {name!r}", "condition")
        if not is_finite_number(threshold):
            raise ValueError(
                f"alert rule {name!r}: threshold is a finite number, got {threshold!r}"
            )
        if callback is not None and not callable(callback):
            raise ValueError(f"alert rule {name!r}: callback is callable, got {callback!r}")
        return cls(name, metric_name, cond, float(threshold), callback)

    def as_dict(self) -> dict[str, Any]:
        """The rule as v4's ``get_alert_rules`` lists it."""
        return {
            "name": self.name,
            "metric_name": self.metric_name,
            "condition": self.condition.value,
            "threshold": self.threshold,
            "enabled": True,
        }


class ThresholdRules:
    """The v4 rules of one ``AlertManager`` and their firing state (per rule and series)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, ThresholdRule] = {}
        self._firing: dict[str, dict[str, Any]] = {}

    def add(self, rule: ThresholdRule) -> None:
        """Add or replace a rule by name."""
        with self._lock:
            self._rules[rule.name] = rule

    def rules(self) -> list[ThresholdRule]:
        """The rules, in the order they were first added."""
        with self._lock:
            return list(self._rules.values())

    def active(self) -> list[dict[str, Any]]:
        """The notifications of rules firing now."""
        with self._lock:
            return list(self._firing.values())

    def evaluate(
        self, collector: ResultMetricsCollector
    ) -> list[tuple[ThresholdRule, dict[str, Any]]]:
        """Check every rule against ``collector``'s series now: each state change with its rule.
        A rule checks the series ``metric_name`` (a bare name totals its labelled counters),
        else each labelled series of that name. The state of a series that was cleared is
        forgotten without a notification."""
        changes = []
        seen: set[str] = set()
        for rule in self.rules():
            total = collector.get_metric_value(rule.metric_name)
            values = (
                {rule.metric_name: total}
                if total is not None
                else collector.metric_values(rule.metric_name)
            )
            for key, value in values.items():
                state = f"{rule.name}:{key}"
                seen.add(state)
                now_firing = rule.condition.holds(value, rule.threshold)
                with self._lock:
                    if now_firing == (state in self._firing):
                        continue  # de-duplicated: no change, no notification
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
                        self._firing[state] = note
                    else:
                        del self._firing[state]
                changes.append((rule, note))
        with self._lock:
            for state in [s for s in self._firing if s not in seen]:
                del self._firing[state]
        return changes
