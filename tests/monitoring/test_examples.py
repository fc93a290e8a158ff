"""The monitoring examples run and print what they show."""

from __future__ import annotations

import json

from _examples import run_example


def test_monitoring_examples_run() -> None:
    """Masked JSON lines with correlation ids, dashboard figures, an alert, captured entries."""
    out = run_example("monitoring")
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    login = next(x for x in lines if x["event"] == "login attempt")
    assert login["password"] == "***" and login["correlation_id"] == "req-1001"
    assert "hunter2" not in out
    assert any(x.get("correlation_id") == "req-1002" and x["level"] == "error" for x in lines)
    assert "checkout: 200 requests" in out and "('checkout_errors', 'firing')" in out
    assert 'rfs_operation_failures_total{operation="checkout"}' in out
    assert "captured: divide division by zero" in out
    assert "after two minutes: 1m window 0, 5m window 1" in out
