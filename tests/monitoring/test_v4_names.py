"""RFS v4's monitoring names behave as v4 documents them."""

from __future__ import annotations

import logging

import pytest

from rfs.monitoring import (
    CorrelationContext,
    LoggingMonoResult,
    LogLevel,
    ResultLogger,
    configure_result_logging,
    create_logging_mono,
    log_flux_results,
)
from rfs.reactive import FluxResult
from rfs.result import Failure, Success


def test_result_logger_logs_operation_steps_and_result(caplog: pytest.LogCaptureFixture) -> None:
    """start/step/result/complete log on rfs.result.<name> under one correlation id."""
    caplog.set_level(logging.INFO, logger="rfs.result")
    log = ResultLogger("orders", LogLevel.INFO)
    with CorrelationContext("v4-cid"):
        cid = log.start_operation("place", {"n": 1})
        log.log_step("validate", 1.5, "success")
        log.log_result(Failure("declined"), "place")
        log.complete_operation("place", "failure")
    assert cid == "v4-cid"
    assert {r.name for r in caplog.records} == {"rfs.result.orders"}
    assert [r.levelname for r in caplog.records] == ["INFO", "INFO", "ERROR", "WARNING"]
    assert all(r.correlation_id == "v4-cid" for r in caplog.records)  # type: ignore[attr-defined]


async def test_logging_mono_result_steps(caplog: pytest.LogCaptureFixture) -> None:
    """LoggingMonoResult logs its steps, errors and performance, and keeps the Result."""
    caplog.set_level(logging.INFO, logger="rfs.result")

    async def source() -> Success[int]:
        return Success(2)

    mono = LoggingMonoResult(source, "m").log_step("load").log_error("ctx")
    assert await mono.to_result() == Success(2)
    assert await create_logging_mono(source, "op").to_result() == Success(2)
    messages = [r.getMessage() for r in caplog.records]
    assert "step load: success" in messages and "performance op" in messages


async def test_log_flux_results_counts() -> None:
    """log_flux_results returns the counts and the correlation id of the batch."""
    flux = FluxResult.from_results([Success(1), Failure("x"), Success(3)])
    out = await log_flux_results(flux, "batch")
    assert (out["total"], out["success"], out["failure"]) == (3, 2, 1) and out["correlation_id"]


def test_configure_result_logging_installs_one_handler() -> None:
    """configure_result_logging adds one handler on rfs.result at the given level."""
    handler = configure_result_logging(LogLevel.WARNING)
    lg = logging.getLogger("rfs.result")
    try:
        assert handler in lg.handlers and lg.level == logging.WARNING
    finally:
        lg.removeHandler(handler)
        lg.setLevel(logging.NOTSET)
