"""``rfs scheduler list`` and ``rfs serve`` on a scheduler defined in a file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from rfs.cli.main import build_app

APP = Path(__file__).with_name("cli_app.py")
ROOT = Path(__file__).resolve().parents[2]
RUN_CLI = "import sys; from rfs.cli.main import main; sys.argv[0] = 'rfs'; main()"


def test_scheduler_list_shows_triggers_and_next_fire() -> None:
    """The listing names each trigger, its kind and schedule, and a next fire time for cron."""
    result = CliRunner().invoke(build_app(), ["scheduler", "list", f"{APP}:build"])
    assert result.exit_code == 0, result.output
    assert "nightly" in result.output and "cron" in result.output
    assert "Europe/Paris" in result.output
    assert "hook" in result.output and "api" in result.output


def test_bad_target_is_a_usage_error() -> None:
    """A target that is not 'module:attr' or names no Scheduler exits with a usage error."""
    runner = CliRunner(env={"COLUMNS": "300"})
    result = runner.invoke(build_app(), ["scheduler", "list", "no_colon"])
    assert result.exit_code != 0 and "module:attr" in result.output
    result = runner.invoke(build_app(), ["scheduler", "list", f"{APP}:TOKEN"])
    assert result.exit_code != 0 and "not a Scheduler" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_scheduler_api_and_health() -> None:
    """``rfs serve`` answers health checks, fires API triggers with a token, stops on SIGTERM."""
    port = free_port()
    env = {**os.environ, "RFS_SCHEDULER_TOKEN": "admin-token-123"}
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, "serve", f"{APP}:build", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"{base}/health/ready", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert ready.status_code == 200 and ready.json()["triggers"] == 2
        denied = httpx.post(f"{base}/triggers/hook/fire", json={"x": 1})
        assert denied.status_code == 401
        fired = httpx.post(
            f"{base}/triggers/hook/fire",
            json={"x": 1},
            headers={"Authorization": "Bearer cli-test-token"},
        )
        assert fired.status_code == 202
        listing = httpx.get(f"{base}/triggers", headers={"Authorization": "Bearer admin-token-123"})
        assert {t["name"] for t in listing.json()} == {"nightly", "hook"}
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    # uvicorn shuts down gracefully, then re-raises SIGTERM
    assert proc.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert output.count("published hooks.in") == 1
