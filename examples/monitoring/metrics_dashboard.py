"""A metrics dashboard's data: per-operation windows, Prometheus text and an alert firing."""

from __future__ import annotations

import logging
import random

from rfs.monitoring import (
    AlertManager,
    AlertRule,
    ResultMetricsCollector,
    disable_monitoring,
    enable_monitoring,
    log_result_operation,
)
from rfs.monitoring.prometheus import PrometheusExporter, metrics_text
from rfs.result import Failure, Result, Success

rng = random.Random(7)
logging.getLogger("examples.checkout").addHandler(logging.NullHandler())
logging.getLogger("examples.checkout").propagate = False  # the demo prints its own summary


@log_result_operation("checkout", logger="examples.checkout")
def checkout(amount: int) -> Result[int, str]:
    return Failure("card declined") if amount > 90 else Success(amount)


async def main() -> None:
    collector = enable_monitoring(ResultMetricsCollector())
    try:
        for _ in range(200):
            checkout(rng.randint(1, 100))
        metrics = (await collector.get_operation_metrics("checkout", time_range="5m")).unwrap()
        print(
            f"checkout: {metrics.total_requests} requests, "
            f"success rate {metrics.success_rate:.0%}, errors {metrics.top_errors}"
        )
        alerts = AlertManager(collector)
        alerts.add_rule(AlertRule("checkout_errors", "checkout", "error_rate", 0.05, "5m"))
        print("alerts:", [(n["name"], n["state"]) for n in alerts.evaluate()])
        text = metrics_text(PrometheusExporter(collector).register()).decode()
        print(next(line for line in text.splitlines() if line.startswith("rfs_operation_failures")))
    finally:
        disable_monitoring()
