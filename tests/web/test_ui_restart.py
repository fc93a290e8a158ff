"""`rfs ui` killed and started again: an acknowledgement made before the kill is still there.

A real restart: the server is a child process on a SQLite run store, acknowledged through
HTTP, killed with SIGKILL (no shutdown hook runs) right after the answer, and started again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess  # nosec B404 - the test starts the rfs CLI it ships
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from rfs.pipeline.io.memory import MemoryIOManager
from rfs.pipeline.registry import TaskRegistry
from rfs.pipeline.runner import run_pipeline
from rfs.pipeline.store import SqlRunStore

pytestmark = pytest.mark.slow

TOKEN = "restart-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def rfs_ui(tmp_path: Path, url: str) -> Iterator[str]:
    """``rfs ui`` on ``url``; yields its base URL once uvicorn says it is listening."""
    port = free_port()
    env = {**os.environ, "RFS_SAGA_LOG_URL": f"sqlite:///{tmp_path / 'saga.db'}"}
    args = [sys.executable, "-m", "rfs", "ui", "--port", str(port), "--run-store", url]
    proc = subprocess.Popen(  # nosec B603 - fixed arguments, no shell
        [*args, "--token", TOKEN], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # blocks until uvicorn reports (or the process ends)
            if "Uvicorn running on" in line:
                break
        else:
            raise AssertionError(f"rfs ui exited with {proc.wait()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()


async def failed_run(url: str) -> str:
    registry = TaskRegistry()

    @registry.task(max_retries=0)
    def breaks() -> int:
        raise RuntimeError("input file missing")

    store = SqlRunStore(url)
    try:
        outcome = await run_pipeline(
            registry=registry, tasks=["breaks"], run_store=store, io_manager=MemoryIOManager()
        )
    finally:
        await store.close()
    return str(outcome.error.run_id)


async def attention_runs(client: httpx.AsyncClient) -> list[str]:
    answer = await client.get("/ops/attention", headers=AUTH)
    assert answer.status_code == 200, answer.text
    return [r["id"] for r in answer.json()["runs"]]


async def test_acknowledgement_survives_kill_and_restart_of_rfs_ui(tmp_path: Path) -> None:
    """Acknowledge, SIGKILL the server, start it again: the run stays acknowledged."""
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    run_id = await failed_run(url)
    with rfs_ui(tmp_path, url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            assert await attention_runs(c) == [run_id]
            ack = await c.post(f"/ops/runs/{run_id}/ack", headers=AUTH, json={"note": "paged"})
            assert ack.status_code == 200, ack.text
    with rfs_ui(tmp_path, url) as base:  # a new process on the same database file
        async with httpx.AsyncClient(base_url=base, timeout=30) as c:
            assert await attention_runs(c) == []
            detail = await c.get(f"/ops/runs/{run_id}", headers=AUTH)
            assert detail.json()["acknowledged"] is True
