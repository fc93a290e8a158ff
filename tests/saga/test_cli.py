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
from rfs.saga import Saga, SagaLog, SagaRegistry

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
