"""Seed 004's monitoring snippets run as written (the FastAPI decorators ``@app.get`` and
``@handle_result`` are left out: rfs.web is another issue; ``FastAPIResult`` is ``Result``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest

from rfs.monitoring import (
    OperationMetrics,
    ResultMetricsCollector,
    disable_monitoring,
    enable_monitoring,
    log_result_operation,
)
from rfs.reactive import MonoResult
from rfs.result import Failure, Result, Success

FastAPIResult = Result


@dataclass(frozen=True)
class APIError:
    code: str
    message: str

    @staticmethod
    def from_service_error(error: Any) -> APIError:
        return error if isinstance(error, APIError) else APIError("INTERNAL", str(error))


@dataclass(frozen=True)
class UserResponse:
    user_id: str


class UserService:
    async def get_user_async(self, user_id: str) -> Result[UserResponse, APIError]:
        if user_id == "missing":
            return Failure(APIError("NOT_FOUND", f"user {user_id} not found"))
        return Success(UserResponse(user_id))


user_service = UserService()


def validate_user_response(user: UserResponse) -> Result[UserResponse, APIError]:
    return Success(user)


@dataclass
class PerformanceMetrics:
    success_rate: float
    p99_ms: float


def format_performance_report(metrics: OperationMetrics) -> Result[PerformanceMetrics, Any]:
    return Success(PerformanceMetrics(metrics.success_rate, metrics.p99_response_time_ms))


# --- seed 004, "목표 패턴" (decorators of rfs.web left out) ---
@log_result_operation("user_retrieval")  # 🆕 로깅 데코레이터
async def get_user(user_id: str) -> Result[UserResponse, APIError]:
    return await (
        MonoResult.from_async_result(lambda: user_service.get_user_async(user_id))
        .log_step("user_service_call")  # 중간 단계 로깅
        .bind_result(lambda user: validate_user_response(user))
        .log_step("user_validation")
        .map_error(lambda e: APIError.from_service_error(e))
        .log_error("user_retrieval_error")  # 에러 전용 로깅
        .timeout(5.0)
        .to_result()
    )


# --- seed 004, "모니터링 및 메트릭 패턴" ---
async def get_performance_metrics() -> FastAPIResult[PerformanceMetrics]:
    return await (
        ResultMetricsCollector.instance()
        .get_operation_metrics("user_retrieval", time_range="1h")
        .bind_result(lambda metrics: format_performance_report(metrics))
    )


@pytest.fixture(autouse=True)
def monitoring() -> Any:
    ResultMetricsCollector.instance().clear()
    enable_monitoring()
    yield
    disable_monitoring()


async def test_seed_logging_entries_carry_operation_and_correlation_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every step and the operation entry of one call share one correlation id."""
    caplog.set_level(logging.INFO)
    assert (await get_user("123")).unwrap() == UserResponse("123")
    await get_user("missing")
    first = [r for r in caplog.records if getattr(r, "operation", None) == "user_retrieval"][:3]
    assert [getattr(r, "rfs_step", None) for r in first] == [
        "user_service_call",
        "user_validation",
        None,
    ]
    assert len({r.correlation_id for r in first}) == 1  # type: ignore[attr-defined]
    errors = [r for r in caplog.records if getattr(r, "rfs_step", "") == "user_retrieval_error"]
    assert len(errors) == 1 and errors[0].levelname == "ERROR"


async def test_seed_performance_metrics() -> None:
    """The seed's metrics endpoint body returns the operation's success rate and p99."""
    await get_user("123")
    await get_user("missing")
    report = (await get_performance_metrics()).unwrap()
    assert report.success_rate == 0.5 and report.p99_ms > 0
