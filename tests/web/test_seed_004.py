"""Seed 004's route snippet runs unchanged: the route and its two Result-pattern tests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from rfs.reactive import MonoResult
from rfs.result import Failure, Result, Success
from rfs.testing import assert_result_error, assert_result_success, mock_result_service
from rfs.web import APIError, ErrorCode, handle_result, install

try:
    from rfs.monitoring import log_result_operation  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # rfs.monitoring not merged yet: an identity stand-in

    def log_result_operation(name: str) -> Any:  # type: ignore[no-redef,unused-ignore]
        return lambda fn: fn


class UserResponse(BaseModel):
    user_id: str
    name: str


class UserService:
    async def get_user_async(self, user_id: str) -> Result[UserResponse, str]:
        return Success(UserResponse(user_id=user_id, name="Ada"))


user_service = UserService()
sample_user = UserResponse(user_id="123", name="Ada")


def validate_user_response(user: UserResponse) -> Result[UserResponse, str]:
    return Success(user) if user.name else Failure("empty name")


app = install(FastAPI())


# --- seed 004, "목표 패턴", unchanged ---------------------------------------------------
@app.get("/users/{user_id}")
@handle_result
@log_result_operation("user_retrieval")  # 자동 로깅 데코레이터
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


@pytest.mark.asyncio
async def test_get_user_success():
    """Seed test: the route called directly returns Success(UserResponse) from the service."""
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        mock_svc.return_success(sample_user)

        result = await get_user("123")

        assert_result_success(result, UserResponse)
        assert result.unwrap().user_id == "123"
        mock_svc.assert_called_once_with("123")


@pytest.mark.asyncio
async def test_get_user_not_found():
    """Seed test: a not_found APIError from the service comes back as the route's Failure."""
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        mock_svc.return_error(APIError.not_found("사용자", "123"))

        result = await get_user("123")

        assert_result_error(result, APIError)
        assert result.unwrap_error().code == ErrorCode.NOT_FOUND


# --- the same route over HTTP -----------------------------------------------------------
async def test_seed_route_over_http() -> None:
    """Through FastAPI the seed route answers 200 JSON, and 404 problem+json when not found."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        ok = await c.get("/users/9")
        with mock_result_service("user_service", "get_user_async") as mock_svc:
            mock_svc.return_error(APIError.not_found("사용자", "9"))
            missing = await c.get("/users/9")
    assert ok.json() == {"user_id": "9", "name": "Ada"}
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "사용자 9 not found"
