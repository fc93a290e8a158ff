"""``rfs saga list|show|recover`` on a SQLite saga log."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import saga_fault_app as app
from typer.testing import CliRunner

from rfs.cli.main import build_app
from rfs.result import Failure
from rfs.saga import Saga, SagaLog, SagaRegistry, SagaStatus

runner = CliRunner()


def _seed(url: str) -> None:
    async def go() -> None:
        async with SagaLog(url) as log:
            saga = Saga("cli_demo", log=log, registry=SagaRegistry())
            saga.add_step("a", lambda ctx: None)
            saga.add_step("b", lambda ctx: Failure("declined"))
            await saga.execute({"order": 1}, execution_id="cli-1")

    asyncio.run(go())


def test_list_and_show(tmp_path: Path) -> None:
    """``list`` shows the execution; ``show`` its transitions; ``purge`` deletes it."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    _seed(url)
    listed = runner.invoke(build_app(), ["saga", "list", "--url", url])
    assert listed.exit_code == 0, listed.output
    assert "cli-1" in listed.output and "compensated" in listed.output
    shown = runner.invoke(build_app(), ["saga", "show", "cli-1", "--url", url])
    assert shown.exit_code == 0, shown.output
    assert "step_failed" in shown.output and "declined" in shown.output
    missing = runner.invoke(build_app(), ["saga", "show", "nope", "--url", url])
    assert missing.exit_code == 2  # nothing matched: a user error
    purged = runner.invoke(build_app(), ["saga", "purge", "--older-than-days", "0", "--url", url])
    assert purged.exit_code == 0 and "deleted 1" in purged.output


def test_show_lists_each_retried_attempts_error(tmp_path: Path) -> None:
    """A step that failed twice before it succeeded: the log keeps both errors (one
    ``step_attempt_failed`` row per retried attempt) and ``show`` prints them."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    errors = iter(["courier API busy (1)", "courier API busy (2)"])

    def courier(ctx: object) -> object:
        error = next(errors, None)
        return Failure(error) if error else "booked"

    async def go() -> None:
        async with SagaLog(url) as log:
            saga = Saga("retrying", log=log, registry=SagaRegistry(), retry_backoff=0.001)
            saga.add_step("courier", courier, retries=2)
            assert (await saga.execute({}, execution_id="r-1")).is_success()
            record = await log.load("r-1")
            assert record is not None and record.status is SagaStatus.COMPLETED
            failed = [(e.attempt, e.detail) for e in record.events if e.kind.value.endswith(
                "attempt_failed")]  # fmt: skip
            assert failed == [(1, "courier API busy (1)"), (2, "courier API busy (2)")]

    asyncio.run(go())
    shown = runner.invoke(
        build_app(), ["saga", "show", "r-1", "--url", url], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("step_attempt_failed") == 2
    assert "courier API busy (1)" in shown.output and "courier API busy (2)" in shown.output


def test_list_rejects_an_unknown_status(tmp_path: Path) -> None:
    """A misspelt ``--status`` is a usage error naming the valid statuses."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    result = runner.invoke(build_app(), ["saga", "list", "--url", url, "--status", "done"])
    assert result.exit_code == 2
    assert "compensated" in result.output


def test_recover_finishes_a_killed_execution(tmp_path: Path) -> None:
    """``recover --import`` completes an execution whose process was SIGKILLed mid-step."""
    url = f"sqlite:///{tmp_path / 'log.db'}"
    effects = str(tmp_path / "effects.db")
    env = {**os.environ, "SAGA_KILL_AT": "action:1:after"}
    args = [sys.executable, app.__file__, "one", url, effects, "cli-kill"]
    assert subprocess.run(args, env=env, capture_output=True, timeout=60).returncode == -9
    result = runner.invoke(
        build_app(), ["saga", "recover", "--import", "saga_fault_app", "--url", url]
    )
    assert result.exit_code == 0, result.output
    assert "recovered 1: 1 completed" in result.output
    listed = runner.invoke(build_app(), ["saga", "list", "--url", url, "--status", "completed"])
    assert "cli-kill" in listed.output


def test_unreachable_log_exits_with_the_reason() -> None:
    """A log database that cannot be reached gives exit status 1 and the error."""
    url = "postgresql://nobody@127.0.0.1:1/none"
    result = runner.invoke(build_app(), ["saga", "list", "--url", url])
    assert result.exit_code == 1
    assert "error" in result.output
