"""Seed 004's Result-based test examples run as written.

The two test functions below are copied verbatim from the seed (only ``@pytest.mark.asyncio``
is kept as the seed has it). The application code they exercise is defined here in the
seed's shape; ``APIError``/``ErrorCode`` are minimal stand-ins for ``rfs.web``'s.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import pytest

from rfs.reactive import MonoResult
from rfs.result import Failure, Result, Success
from rfs.testing import assert_result_error, assert_result_success, mock_result_service


class ErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True)
class APIError:
    code: ErrorCode
    message: str

    @staticmethod
    def not_found(resource: str, resource_id: str) -> APIError:
        return APIError(ErrorCode.NOT_FOUND, f"{resource} {resource_id} not found")

    @staticmethod
    def from_service_error(error: Any) -> APIError:
        return error if isinstance(error, APIError) else APIError(ErrorCode.INTERNAL, str(error))


@dataclass(frozen=True)
class UserResponse:
    user_id: str
    name: str


class UserService:
    async def get_user_async(self, user_id: str) -> Result[UserResponse, APIError]:
        raise AssertionError("the real service is not called in these tests")


user_service = UserService()
sample_user = UserResponse(user_id="123", name="Ada")


def validate_user_response(user: UserResponse) -> Result[UserResponse, APIError]:
    return Success(user)


async def get_user(user_id: str) -> Result[UserResponse, APIError]:
    return await (
        MonoResult.from_async_result(lambda: user_service.get_user_async(user_id))
        .log_step("user_service_call")
        .bind_result(lambda user: validate_user_response(user))
        .log_step("user_validation")
        .map_error(lambda e: APIError.from_service_error(e))
        .log_error("user_retrieval_error")
        .timeout(5.0)
        .to_result()
    )


@pytest.mark.asyncio
async def test_get_user_success():
    # Result 패턴을 고려한 모킹
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        mock_svc.return_success(sample_user)

        result = await get_user("123")

        assert_result_success(result, UserResponse)
        assert result.unwrap().user_id == "123"
        mock_svc.assert_called_once_with("123")


@pytest.mark.asyncio
async def test_get_user_not_found():
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        mock_svc.return_error(APIError.not_found("사용자", "123"))

        result = await get_user("123")

        assert_result_error(result, APIError)
        assert result.unwrap_error().code == ErrorCode.NOT_FOUND


def test_seed_patches_are_undone() -> None:
    """After the seed tests' with-blocks the real method is back on the service."""
    assert "get_user_async" not in vars(user_service)
    assert user_service.get_user_async.__func__ is UserService.get_user_async  # type: ignore[attr-defined]


async def test_seed_mocker_shape() -> None:
    """The seed's ResultServiceMocker API: chaining, call_count, call_args_history, sequence."""
    with mock_result_service("user_service", "get_user_async") as mock_svc:
        assert mock_svc.return_sequence([Success(sample_user), Failure("gone")]) is mock_svc
        assert await get_user("1") == Success(sample_user)
        assert await get_user("2") == Failure(APIError(ErrorCode.INTERNAL, "gone"))
        assert mock_svc.call_count == 2
        assert mock_svc.call_args_history == [(("1",), {}), (("2",), {})]
