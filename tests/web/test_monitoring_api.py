"""Seed 004's monitoring endpoints over a real collector and alert manager."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from rfs.monitoring.alerts import AlertManager
from rfs.monitoring.metrics import ResultMetricsCollector
from rfs.result import Failure, Success
from rfs.web import install
from rfs.web.monitoring_api import monitoring_router

TOKEN = "monitor-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def collector() -> ResultMetricsCollector:
    c = ResultMetricsCollector(clock=lambda: 1_000_000.0)
    for i in range(8):
        c.record("user_retrieval", Success(i), duration_ms=10.0 + i)
    c.record("user_retrieval", Failure(TimeoutError("slow")), duration_ms=50.0)
    c.record("user_retrieval", Failure(KeyError("k")), duration_ms=5.0)
    c.record("payment", Failure(TimeoutError("slow")), duration_ms=5.0)
    return c


def client(collector: ResultMetricsCollector, alerts: AlertManager) -> httpx.AsyncClient:
    app = install(FastAPI())
    app.include_router(monitoring_router(token=TOKEN, collector=collector, alerts=alerts))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_operation_metrics_and_errors(collector: ResultMetricsCollector) -> None:
    """An operation's metrics, the top errors, and 404/422 problems for bad names and windows."""
    async with client(collector, AlertManager(collector)) as c:
        m = (
            await c.get("/monitoring/operations/user_retrieval/metrics?time_range=1h", headers=AUTH)
        ).json()
        top = (await c.get("/monitoring/errors/top?limit=2", headers=AUTH)).json()
        unknown = await c.get("/monitoring/operations/nope/metrics", headers=AUTH)
        window = await c.get(
            "/monitoring/operations/user_retrieval/metrics?time_range=9y", headers=AUTH
        )
        anonymous = await c.get("/monitoring/errors/top")
    assert (m["total_requests"], m["failed_requests"]) == (10, 2)
    assert m["success_rate"] == pytest.approx(0.8)
    assert top[0]["error_type"] == "TimeoutError" and len(top) == 2
    assert unknown.status_code == 404 and window.status_code == 422
    assert anonymous.status_code == 401


async def test_health_and_alert_configuration(collector: ResultMetricsCollector) -> None:
    """Configuring a rule over the API makes it fire; health then reports degraded."""
    alerts = AlertManager(collector)
    rule = {
        "name": "errors",
        "operation": "user_retrieval",
        "metric": "error_rate",
        "threshold": 0.1,
    }
    async with client(collector, alerts) as c:
        unauth = await c.post("/monitoring/alerts/configure", json=rule)
        bad = await c.post("/monitoring/alerts/configure", json={"name": "x"}, headers=AUTH)
        ok = await c.post("/monitoring/alerts/configure", json=rule, headers=AUTH)
        alerts.evaluate()
        firing = (await c.get("/monitoring/alerts", headers=AUTH)).json()
        health = (
            await c.get("/monitoring/health/result-patterns?time_range=1h", headers=AUTH)
        ).json()
    assert unauth.status_code == 401 and bad.status_code == 422
    assert ok.json() == "errors"
    assert len(firing) == 1
    assert health["status"] == "degraded" and health["alerts_firing"] == 1
    assert set(health["degraded_operations"]) == {"user_retrieval", "payment"}


async def test_prometheus_exposition(collector: ResultMetricsCollector) -> None:
    """/metrics serves the collector in Prometheus text format."""
    pytest.importorskip("prometheus_client")
    async with client(collector, AlertManager(collector)) as c:
        r = await c.get("/metrics", headers=AUTH)
    assert r.status_code == 200
    assert 'rfs_operation_duration_seconds_count{operation="user_retrieval"' in r.text
