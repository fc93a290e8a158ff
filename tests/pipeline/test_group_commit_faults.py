"""SIGKILL of the driver while a burst of task completions is being group-committed, then resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DRIVER = """
import asyncio, os, sys, time
from pathlib import Path
from rfs.pipeline import FilesystemIOManager, Planner, SqlRunStore, TaskRegistry, run_pipeline
from rfs.pipeline import events as ev

N, HALF = 200, 100
MARKS = Path(os.environ["MARKS"])
REPORT = open(os.environ["REPORT"], "a", buffering=1)
BURST_AT = float(os.environ.get("BURST_AT", "0"))


def make(i):
    def work() -> int:
        (MARKS / f"t{i}-{time.time_ns()}").touch()
        if BURST_AT:
            if i >= HALF:
                time.sleep(120)  # still running when the driver dies
            time.sleep(max(0.0, BURST_AT - time.time()))  # the first half finishes at once
        return i
    return work


registry = TaskRegistry()
for i in range(N):
    registry.task(make(i), name=f"t{i}")
plan = Planner(registry).create_execution_plan()


class Reporter:
    async def publish(self, topic, event):
        if topic == ev.TASK_SUCCEEDED:  # emitted only after save_attempt returned
            REPORT.write(event.data["task"] + "\\n")


async def main() -> None:
    store = SqlRunStore(os.environ["STORE"])
    resume = sys.argv[1] == "resume"
    result = await run_pipeline(
        plan, run_store=store, io_manager=FilesystemIOManager(os.environ["OUT"]),
        publisher=Reporter(), run_id=None if resume else "burst-1",
        resume="burst-1" if resume else None, max_concurrency=N,
    )
    print(result.unwrap().state)
    await store.close()

asyncio.run(main())
"""


def _counts(marks: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in marks.iterdir():
        name = p.name.rsplit("-", 1)[0]
        counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.mark.slow
def test_kill_during_group_commit_burst_loses_nothing_reported(tmp_path: Path) -> None:
    """Every completion reported before the SIGKILL is in the store; resume reruns none of them."""
    (tmp_path / "driver.py").write_text(DRIVER)
    marks, report = tmp_path / "marks", tmp_path / "report.txt"
    marks.mkdir()
    report.touch()
    env = dict(
        os.environ,
        MARKS=str(marks),
        REPORT=str(report),
        STORE=f"sqlite:///{tmp_path}/runs.db",
        OUT=str(tmp_path / "out"),
    )
    burst = dict(env, BURST_AT=str(time.time() + 8))
    proc = subprocess.Popen(
        [sys.executable, "driver.py", "run"], cwd=tmp_path, env=burst,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not report.read_text():  # the burst's first commits are acknowledged
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.001)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    reported = set(report.read_text().split())
    assert reported and len(reported) < 200
    check = (
        "import asyncio, os, sqlite3; "
        "con = sqlite3.connect(os.environ['DB']); "
        "print(' '.join(r[0] for r in con.execute("
        "\"SELECT task_name FROM rfs_pipeline_tasks WHERE state = 'succeeded'\")))"
    )
    stored = subprocess.run(
        [sys.executable, "-c", check], env=dict(env, DB=str(tmp_path / "runs.db")),
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert reported <= set(stored), reported - set(stored)
    resumed = subprocess.run(
        [sys.executable, "driver.py", "resume"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "succeeded" in resumed.stdout
    counts = _counts(marks)
    assert all(counts[name] == 1 for name in stored)  # nothing that succeeded ran again
    assert set(counts) == {f"t{i}" for i in range(200)}
