"""Seed 004's monitoring endpoints and ``/metrics``, over ``rfs.monitoring``'s collector.

``/monitoring/operations/{name}/metrics``, ``/monitoring/health/result-patterns``,
``/monitoring/errors/top``, ``/monitoring/summary``, ``/monitoring/alerts`` and
``POST /monitoring/alerts/configure`` (bearer token; body read after the check, capped).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from rfs.monitoring.alerts import AlertManager, get_alert_manager
from rfs.monitoring.metrics import MetricsError, ResultMetricsCollector
from rfs.result import Failure, Result, Success
from rfs.web.auth import bearer_guard
from rfs.web.body import read_body
from rfs.web.errors import APIError, ErrorCode
from rfs.web.handle import handle_result

__all__ = ["monitoring_router"]

Json = dict[str, Any]
HEALTHY_SUCCESS_RATE = 0.95


def _api_error(error: MetricsError) -> APIError:
    if error.kind == "unknown_operation":
        return APIError(ErrorCode.NOT_FOUND, error.message)
    return APIError.validation(error.message)


def monitoring_router(
    *,
    token: str | None,
    read_token: str | None = None,
    open_reads: bool = False,
    collector: ResultMetricsCollector | None = None,
    alerts: AlertManager | None = None,
    max_body_size: int = 16_384,
) -> APIRouter:
    """The monitoring API; ``collector``/``alerts`` default to the process-wide ones."""
    write = Depends(bearer_guard(token))
    read = Depends(bearer_guard() if open_reads else bearer_guard(token, read_token))
    router = APIRouter(tags=["monitoring"])

    def metrics() -> ResultMetricsCollector:
        return collector or ResultMetricsCollector.instance()

    def manager() -> AlertManager:
        return alerts or get_alert_manager()

    def snapshots(time_range: str) -> Result[list[Any], APIError]:
        out = []
        for name in metrics().operations():
            snap = metrics().snapshot(name, time_range)
            if isinstance(snap, Failure):
                return Failure(_api_error(snap.error))
            out.append(snap.value)
        return Success(out)

    @router.get("/monitoring/operations/{operation_name}/metrics", dependencies=[read])
    @handle_result
    async def get_operation_metrics(
        operation_name: str, time_range: str = "1h"
    ) -> Result[Json, APIError]:
        """One operation's counts, success rate, latency percentiles and errors over a window."""
        found = await metrics().get_operation_metrics(operation_name, time_range=time_range)
        return found.map(dataclasses.asdict).map_error(_api_error)

    @router.get("/monitoring/health/result-patterns", dependencies=[read])
    @handle_result
    async def get_result_pattern_health(time_range: str = "5m") -> Result[Json, APIError]:
        """Healthy unless an operation's success rate is under 95% or an alert fires."""
        found = snapshots(time_range)
        if isinstance(found, Failure):
            return found
        degraded = [m.operation_name for m in found.value if m.success_rate < HEALTHY_SUCCESS_RATE]
        firing = manager().active_alerts()
        total = sum(m.total_requests for m in found.value)
        failed = sum(m.failed_requests for m in found.value)
        return Success(
            {
                "status": "degraded" if degraded or firing else "healthy",
                "time_range": time_range,
                "operations": len(found.value),
                "total_requests": total,
                "success_rate": (total - failed) / total if total else 1.0,
                "degraded_operations": degraded,
                "alerts_firing": len(firing),
            }
        )

    @router.get("/monitoring/errors/top", dependencies=[read])
    @handle_result
    async def get_top_errors(
        limit: int = Query(10, ge=1, le=100), time_range: str = "1h"
    ) -> Result[list[Json], APIError]:
        """The most frequent error types over all operations."""
        found = snapshots(time_range)
        if isinstance(found, Failure):
            return found
        rows = [
            {"operation": m.operation_name, "error_type": kind, "count": count}
            for m in found.value
            for kind, count in m.error_breakdown.items()
        ]
        rows.sort(key=lambda r: (-r["count"], r["operation"], r["error_type"]))
        return Success(rows[:limit])

    @router.get("/monitoring/summary", dependencies=[read])
    @handle_result
    async def summary(time_range: str = "1h") -> Result[list[Json], APIError]:
        """Every operation's metrics (with its per-hour counts), for the dashboard's charts."""
        return snapshots(time_range).map(lambda ms: [dataclasses.asdict(m) for m in ms])

    @router.get("/monitoring/alerts", dependencies=[read])
    @handle_result
    async def active_alerts() -> Result[list[Json], APIError]:
        """Alerts firing now."""
        return Success(manager().active_alerts())

    @router.post("/monitoring/alerts/configure", dependencies=[write])
    @handle_result
    async def configure_alert_thresholds(request: Request) -> Result[str, APIError]:
        """Add or replace an alert rule from a JSON body; answers the rule's name."""
        body = await read_body(request, max_body_size)
        if isinstance(body, Failure):
            return body
        if not isinstance(body.value, dict):
            return Failure(APIError.validation("the body must be a JSON object"))
        rule = manager().configure(body.value)
        return rule.map(lambda r: r.name).map_error(lambda e: APIError.validation(str(e)))

    @router.get("/metrics", dependencies=[read], response_model=None)
    async def prometheus(request: Request) -> Response:
        """Prometheus text exposition of the collector."""
        try:
            from rfs.monitoring.prometheus import PrometheusExporter, metrics_text
        except ImportError:
            from rfs.web.problem import problem_response

            missing = APIError(ErrorCode.UNAVAILABLE, "pip install 'rfs[prometheus]'", status=501)
            return problem_response(missing, request)
        registry = PrometheusExporter(metrics()).register()
        return Response(metrics_text(registry), media_type="text/plain; version=0.0.4")

    return router
