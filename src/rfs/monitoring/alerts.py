"""Alert rules over ``ResultMetricsCollector`` windows: error rate, latency percentile or request
count, with hysteresis (fire above ``threshold``, resolve only past ``resolve_threshold``) and
de-duplication (one notification per state change). Rules can be added, replaced and removed at
run time, also from JSON-like config (malformed config is refused with a clear error). The same
manager holds RFS v4's threshold rules on named series (``rfs.monitoring.v4_alerts``) and answers
v4's ``ResultAlertManager`` methods."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from rfs.monitoring.delivery import Callback, Deliverer
from rfs.monitoring.metrics import OperationMetrics, ResultMetricsCollector
from rfs.monitoring.v4_alerts import AlertCondition, ThresholdRule, ThresholdRules
from rfs.monitoring.windows import WINDOWS
from rfs.result import Failure, Result, Success

Metric = Literal["error_rate", "p50", "p90", "p99", "max", "count"]
METRICS: tuple[str, ...] = ("error_rate", "p50", "p90", "p99", "max", "count")
Condition = Literal["gt", "lt"]


@dataclass(frozen=True)
class AlertConfigError:
    """A rule configuration that was refused, with what to change."""

    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class AlertRule:
    """Fire when ``metric`` of ``operation`` over ``window`` crosses ``threshold``."""

    name: str
    operation: str
    metric: Metric
    threshold: float
    window: str = "5m"
    condition: Condition = "gt"
    resolve_threshold: float | None = None  # default: the threshold itself
    min_requests: int = 1
    webhooks: tuple[str, ...] = ()

    def value(self, m: OperationMetrics) -> float:
        """The rule's metric in ``m``."""
        return {
            "error_rate": 1.0 - m.success_rate,
            "p50": m.p50_response_time_ms,
            "p90": m.p90_response_time_ms,
            "p99": m.p99_response_time_ms,
            "max": m.max_response_time_ms,
            "count": float(m.total_requests),
        }[self.metric]

    def breached(self, value: float, firing: bool) -> bool:
        """Whether the rule is (still) firing at ``value`` given its current state."""
        limit = self.threshold
        if firing and self.resolve_threshold is not None:
            limit = self.resolve_threshold
        return value > limit if self.condition == "gt" else value < limit


_FIELDS = {
    "name",
    "operation",
    "metric",
    "threshold",
    "window",
    "condition",
    "resolve_threshold",
    "min_requests",
    "webhooks",
}


def parse_rule(config: Mapping[str, Any]) -> Result[AlertRule, AlertConfigError]:
    """An ``AlertRule`` from a mapping, or the first thing wrong with it."""
    if not isinstance(config, Mapping):
        return Failure(AlertConfigError(f"an alert rule is an object, got {type(config).__name__}"))
    unknown = set(config) - _FIELDS
    if unknown:
        return Failure(AlertConfigError(f"unknown alert rule fields: {', '.join(sorted(unknown))}"))
    for key in ("name", "operation", "metric", "threshold"):
        if key not in config:
            return Failure(AlertConfigError(f"alert rule needs {key!r}"))
    name, op = config["name"], config["operation"]
    if not isinstance(name, str) or not name or not isinstance(op, str) or not op:
        return Failure(AlertConfigError("alert rule 'name' and 'operation' are non-empty strings"))
    if config["metric"] not in METRICS:
        return Failure(
            AlertConfigError(
                f"alert rule {name!r}: metric {config['metric']!r} is not one of "
                f"{', '.join(METRICS)}"
            )
        )
    window = config.get("window", "5m")
    if window not in WINDOWS:
        return Failure(
            AlertConfigError(
                f"alert rule {name!r}: window {window!r} is not one of {', '.join(WINDOWS)}"
            )
        )
    condition = config.get("condition", "gt")
    if condition not in ("gt", "lt"):
        return Failure(AlertConfigError(f"alert rule {name!r}: condition is 'gt' or 'lt'"))
    numbers: dict[str, float | None] = {}
    for key in ("threshold", "resolve_threshold"):
        v = config.get(key)
        if v is None and key == "resolve_threshold":
            numbers[key] = None
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
            return Failure(AlertConfigError(f"alert rule {name!r}: {key} must be a number"))
        numbers[key] = float(v)
    min_requests = config.get("min_requests", 1)
    if isinstance(min_requests, bool) or not isinstance(min_requests, int) or min_requests < 0:
        return Failure(AlertConfigError(f"alert rule {name!r}: min_requests is an int >= 0"))
    hooks = config.get("webhooks", ())
    if not isinstance(hooks, list | tuple) or not all(
        isinstance(u, str) and u.startswith(("http://", "https://")) for u in hooks
    ):
        return Failure(AlertConfigError(f"alert rule {name!r}: webhooks is a list of http(s) URLs"))
    return Success(
        AlertRule(
            name,
            op,
            config["metric"],
            float(config["threshold"]),
            window,
            condition,
            numbers["resolve_threshold"],
            min_requests,
            tuple(hooks),
        )
    )


class AlertManager:
    """Holds rules, evaluates them against a collector and notifies on fire/resolve.

    Also RFS v4's ``ResultAlertManager``: ``add_alert_rule``, ``get_alert_rules``,
    ``get_active_alerts``, ``start_monitoring``/``stop_monitoring`` and ``metrics_collector``.
    """

    def __init__(
        self,
        collector: ResultMetricsCollector | None = None,
        deliverer: Deliverer | None = None,
    ) -> None:
        self.collector = collector or ResultMetricsCollector.instance()
        self.deliverer = deliverer or Deliverer()
        self._rules: dict[str, AlertRule] = {}
        self._firing: dict[str, dict[str, Any]] = {}
        self._callbacks: list[Callback] = []
        self._checks: dict[str, Callable[[], list[dict[str, Any]]]] = {}
        self._thresholds = ThresholdRules()
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None

    def add_rule(self, rule: AlertRule) -> None:
        """Add or replace a rule (a replaced rule keeps its firing state)."""
        with self._lock:
            self._rules[rule.name] = rule

    def configure(self, config: Mapping[str, Any]) -> Result[AlertRule, AlertConfigError]:
        """Add a rule from config; a Failure leaves the rules unchanged."""
        parsed = parse_rule(config)
        if isinstance(parsed, Success):
            self.add_rule(parsed.value)
        return parsed

    def remove_rule(self, name: str) -> bool:
        """Remove a rule (and its firing state); False when there was none."""
        with self._lock:
            self._firing.pop(name, None)
            return self._rules.pop(name, None) is not None

    def rules(self) -> list[AlertRule]:
        """The rules, by name."""
        return [self._rules[k] for k in sorted(self._rules)]

    def on_alert(self, callback: Callback) -> None:
        """Call ``callback(notification)`` (from the delivery thread) on every state change."""
        self._callbacks.append(callback)

    def add_check(self, name: str, check: Callable[[], list[dict[str, Any]]]) -> None:
        """Run ``check`` first in every ``evaluate()`` (replacing a check of the same name); its
        notifications are part of what ``evaluate()`` returns."""
        self._checks[name] = check

    def active_alerts(self) -> list[dict[str, Any]]:
        """The notifications of rules firing now (v4's threshold rules first)."""
        with self._lock:
            return self._thresholds.active() + list(self._firing.values())

    def evaluate(self) -> list[dict[str, Any]]:
        """Check every rule now; returns the notifications sent (one per state change): the
        checks' first, then v4's threshold rules', then the window rules'."""
        sent = [note for check in list(self._checks.values()) for note in check()]
        for threshold_rule, note in self._thresholds.evaluate(self.collector):
            if threshold_rule.callback is not None:
                self.deliverer.submit(threshold_rule.callback, note)
            sent.append(note)
        for rule in self.rules():
            snap = self.collector.snapshot(rule.operation, rule.window)
            if not isinstance(snap, Success) or snap.value.total_requests < rule.min_requests:
                continue
            value = rule.value(snap.value)
            with self._lock:
                firing = rule.name in self._firing
                now_firing = rule.breached(value, firing)
                if now_firing == firing:
                    continue  # de-duplicated: no change, no notification
                note = {
                    **asdict(rule),
                    "state": "firing" if now_firing else "resolved",
                    "value": value,
                    "at": datetime.now(UTC).isoformat(),
                }
                note["webhooks"] = list(rule.webhooks)
                if now_firing:
                    self._firing[rule.name] = note
                else:
                    del self._firing[rule.name]
            for cb in self._callbacks:
                self.deliverer.submit(cb, note)
            for url in rule.webhooks:
                self.deliverer.submit(url, note)
            sent.append(note)
        return sent

    def start(self, interval: float = 10.0) -> None:
        """Evaluate every ``interval`` seconds in a daemon thread until ``stop()``; ``ValueError``
        unless ``interval`` is a positive number."""
        if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval > 0:
            raise ValueError(f"alert interval is a positive number of seconds, got {interval!r}")
        if self._stop is not None:
            return
        stop = self._stop = threading.Event()

        def loop() -> None:
            while not stop.wait(interval):
                self.evaluate()

        threading.Thread(target=loop, name="rfs-alert-evaluator", daemon=True).start()

    def stop(self) -> None:
        """Stop the evaluation thread started by ``start()``."""
        if self._stop is not None:
            self._stop.set()
            self._stop = None

    # -- RFS v4's ResultAlertManager methods --------------------------------------------------
    @property
    def metrics_collector(self) -> ResultMetricsCollector:
        """v4's name for ``collector``."""
        return self.collector

    def add_alert_rule(
        self,
        name: str,
        metric_name: str,
        condition: AlertCondition | str,
        threshold: float,
        callback: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        """Add (or replace) v4's threshold rule: fire while the collector's series
        ``metric_name`` meets ``condition`` against ``threshold``, notifying ``callback`` (sync
        or async, from the delivery thread) once on fire and once on resolve. ``ValueError``
        for an empty name, an unknown condition or a threshold that is not a finite number."""
        self._thresholds.add(ThresholdRule.parse(name, metric_name, condition, threshold, callback))

    def get_alert_rules(self) -> list[dict[str, Any]]:
        """Every rule as v4 lists them (``name``, ``metric_name``, ``condition``, ``threshold``,
        ``enabled``): the threshold rules, then the window rules (``metric_name`` reads
        ``p99(checkout, 5m)``)."""
        rules = [r.as_dict() for r in self._thresholds.rules()]
        rules += [
            {
                "name": r.name,
                "metric_name": f"{r.metric}({r.operation}, {r.window})",
                "condition": r.condition,
                "threshold": r.threshold,
                "enabled": True,
            }
            for r in self.rules()
        ]
        return rules

    def get_active_alerts(self) -> list[dict[str, Any]]:
        """v4's name for ``active_alerts``."""
        return self.active_alerts()

    def start_monitoring(self, interval: float = 10.0) -> None:
        """v4's name for ``start``: evaluate every ``interval`` seconds until stopped."""
        self.start(interval)

    def stop_monitoring(self) -> None:
        """v4's name for ``stop``."""
        self.stop()


_manager: AlertManager | None = None


def get_alert_manager() -> AlertManager:
    """The process-wide manager over ``ResultMetricsCollector.instance()``."""
    global _manager
    if _manager is None:
        _manager = AlertManager()
    return _manager
