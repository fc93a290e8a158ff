"""Testing monitored code: capture entries with a handler, assert on fields, use a fake clock."""

from __future__ import annotations

import logging

from rfs.monitoring import ResultMetricsCollector, correlation_scope, log_result_operation
from rfs.result import Failure, Result, Success


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.fields.append(getattr(record, "rfs_fields", {}))


@log_result_operation("divide")
def divide(a: int, b: int) -> Result[float, str]:
    return Failure("division by zero") if b == 0 else Success(a / b)


async def main() -> None:
    capture = Capture()
    logger = logging.getLogger("rfs.monitoring")
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    try:
        with correlation_scope("test-1"):
            divide(1, 0)
    finally:
        logger.removeHandler(capture)
    entry = capture.fields[0]
    assert entry["result_type"] == "error" and entry["correlation_id"] == "test-1"
    print("captured:", entry["operation_name"], entry["error_message"])

    now = [1_000.0]
    collector = ResultMetricsCollector(clock=lambda: now[0])  # windows move with the fake clock
    collector.record("divide", Success(1.0), 2.0)
    now[0] += 120
    one_minute = collector.snapshot("divide", "1m").unwrap().total_requests
    five_minutes = collector.snapshot("divide", "5m").unwrap().total_requests
    print(f"after two minutes: 1m window {one_minute}, 5m window {five_minutes}")
