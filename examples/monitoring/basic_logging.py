"""Structured Result logging: JSON lines with one correlation id per request, masked secrets."""

from __future__ import annotations

import logging
import sys

from rfs.monitoring import configure_logging, correlation_scope, log_info, log_result_operation
from rfs.reactive import MonoResult
from rfs.result import Failure, Result, Success

USERS = {"7": {"name": "Ada", "password": "hunter2"}}


async def fetch(user_id: str) -> Result[dict[str, str], str]:
    user = USERS.get(user_id)
    return Success(user) if user else Failure(f"user {user_id} not found")


@log_result_operation("user_retrieval")
async def get_user(user_id: str) -> Result[str, str]:
    return await (
        MonoResult.from_async_result(lambda: fetch(user_id))
        .log_step("user_service_call")
        .map(lambda user: user["name"])
        .log_error("user_retrieval_error")
        .to_result()
    )


async def main() -> None:
    handler = configure_logging(json=True, level="INFO", logger="examples", stream=sys.stdout)
    logging.getLogger("rfs").addHandler(handler)  # the app routes rfs' loggers to the handler
    logging.getLogger("rfs").setLevel(logging.INFO)
    try:
        with correlation_scope("req-1001"):
            log_info("login attempt", logger="examples", user="ada", password="hunter2")
            print("result:", await get_user("7"))
        with correlation_scope("req-1002"):
            print("result:", await get_user("404"))
    finally:
        logging.getLogger("rfs").removeHandler(handler)
        logging.getLogger("examples").removeHandler(handler)
