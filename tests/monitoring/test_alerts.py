"""Alerts: thresholds, hysteresis, de-duplication, config validation and non-blocking delivery."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs.monitoring import (
    AlertManager,
    AlertRule,
    Deliverer,
    ResultMetricsCollector,
    parse_rule,
    setup_default_alerts,
)
from rfs.result import Failure, Success


class Clock:
    def __init__(self) -> None:
        self.now = 2_000_000.0

    def __call__(self) -> float:
        return self.now


def feed(c: ResultMetricsCollector, ok: int, bad: int) -> None:
    for _ in range(ok):
        c.record("pay", Success(1), 1.0)
    for _ in range(bad):
        c.record("pay", Failure("declined"), 1.0)


def test_fires_once_and_resolves_with_hysteresis() -> None:
    """A breach fires once; it resolves only below the resolve threshold, not just below fire."""
    clock = Clock()
    c = ResultMetricsCollector(clock=clock)
    m = AlertManager(c, Deliverer())
    seen: list[dict[str, Any]] = []
    m.on_alert(seen.append)
    m.add_rule(AlertRule("errors", "pay", "error_rate", 0.2, "1m", resolve_threshold=0.1))
    feed(c, 7, 3)  # 30% errors
    assert [n["state"] for n in m.evaluate()] == ["firing"]
    assert m.evaluate() == []  # de-duplicated
    feed(c, 5, 0)  # 20% -> 3/15: under fire threshold, above resolve threshold
    assert m.evaluate() == [] and m.active_alerts()
    feed(c, 20, 0)  # 3/35 < 10%
    assert [n["state"] for n in m.evaluate()] == ["resolved"]
    assert m.deliverer.join(5)
    assert [n["state"] for n in seen] == ["firing", "resolved"]


def test_latency_and_count_rules() -> None:
    """p99 and count rules fire on their metric over their window."""
    c = ResultMetricsCollector(clock=Clock())
    m = AlertManager(c, Deliverer())
    m.add_rule(AlertRule("slow", "pay", "p99", 100.0, "1m"))
    m.add_rule(AlertRule("quiet", "pay", "count", 5, "1m", condition="lt"))
    c.record("pay", Success(1), 500.0)
    assert sorted(n["name"] for n in m.evaluate()) == ["quiet", "slow"]


def test_configure_at_run_time_and_refuse_malformed() -> None:
    """configure adds a valid rule; malformed config is a clear Failure and changes nothing."""
    m = AlertManager(ResultMetricsCollector(), Deliverer())
    ok = m.configure({"name": "r", "operation": "op", "metric": "p90", "threshold": 10})
    assert isinstance(ok, Success) and [r.name for r in m.rules()] == ["r"]
    for bad, text in [
        ({"name": "x", "operation": "op", "metric": "p42", "threshold": 1}, "metric 'p42'"),
        ({"name": "x", "operation": "op", "metric": "p90"}, "needs 'threshold'"),
        ({"name": "x", "operation": "op", "metric": "p90", "threshold": "hi"}, "number"),
        (
            {"name": "x", "operation": "op", "metric": "p90", "threshold": 1, "window": "2w"},
            "window",
        ),
        ({"name": "x", "operation": "op", "metric": "p90", "threshold": 1, "extra": 1}, "unknown"),
    ]:
        result = m.configure(bad)
        assert isinstance(result, Failure) and text in str(result.error)
    assert [r.name for r in m.rules()] == ["r"]
    assert m.remove_rule("r") and not m.rules()


@given(st.dictionaries(st.text(max_size=12), st.none() | st.integers() | st.text() | st.floats()))
def test_parse_rule_never_raises(config: dict[str, Any]) -> None:
    """Any mapping parses to a rule or a refusal, never an exception."""
    assert isinstance(parse_rule(config), Success | Failure)


def test_setup_default_alerts_adds_v4_rules() -> None:
    """setup_default_alerts adds failure-rate and slow-response rules for an operation."""
    m = AlertManager(ResultMetricsCollector(), Deliverer())
    rules = setup_default_alerts("pay", m)
    assert {r.metric for r in rules} == {"error_rate", "p99"} and len(m.rules()) == 2


@pytest.fixture
def hanging_server() -> Iterator[tuple[str, threading.Event, list[bytes]]]:
    release = threading.Event()
    bodies: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/hang":
                release.wait(10)
            self.send_response(500 if self.path == "/fail" else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", release, bodies
    release.set()
    server.shutdown()
    server.server_close()


def test_hanging_webhook_never_blocks_and_drops_are_counted(
    hanging_server: tuple[str, threading.Event, list[bytes]],
) -> None:
    """With the receiver hanging, evaluations stay fast; the bounded queue drops and counts."""
    url, release, bodies = hanging_server
    c = ResultMetricsCollector(clock=Clock())
    deliverer = Deliverer(max_queue=2, webhook_timeout=10)
    m = AlertManager(c, deliverer)
    for i in range(10):
        m.add_rule(AlertRule(f"e{i}", "pay", "error_rate", 0.5, "1m", webhooks=(url + "/hang",)))
    feed(c, 0, 50)
    start = time.perf_counter()
    assert len(m.evaluate()) == 10
    assert time.perf_counter() - start < 0.5
    assert deliverer.dropped >= 7
    release.set()
    assert deliverer.join(10)
    assert deliverer.delivered + deliverer.dropped + deliverer.failed == 10 and bodies


def test_failing_webhook_is_counted_not_raised(
    hanging_server: tuple[str, threading.Event, list[bytes]],
) -> None:
    """A 500 from the webhook counts as failed delivery; the caller sees nothing."""
    url, _, _ = hanging_server
    d = Deliverer()
    assert d.submit(url + "/fail", {"state": "firing"})
    assert d.join(10) and d.failed == 1
