"""Faults while task completions are group-committed: SIGKILL of the driver, then resume; the
run store's PostgreSQL session ended by the server mid-run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from _pgfaults import cut_blocked, cut_mid_statement
from rfs.pipeline import MemoryIOManager, Planner, SqlRunStore, TaskRegistry, run_pipeline
from rfs.pipeline.store import RunState, TaskState

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


async def _until(condition: Callable[[], bool], run: asyncio.Future[Any]) -> None:
    """Wait until ``condition()`` holds, failing if ``run`` ends first."""
    for _ in range(6000):
        if condition():
            return
        if run.done():
            raise AssertionError(f"the run ended early: {run.result()}")
        await asyncio.sleep(0.005)
    raise AssertionError("timed out")


@pytest.mark.service("postgres")
async def test_pg_link_cut_mid_run_loses_nothing(postgres_url: str, registry: TaskRegistry) -> None:
    """The server ends the run store's writer session twice mid-run, a ``save_attempt`` in
    flight each time (a lone write, whose commit may have landed; then a batch): each is sent
    again, the run succeeds, and every task ran once and is recorded once."""
    width, prefix, run_id = 10, f"c{uuid.uuid4().hex[:10]}_", f"cut-{uuid.uuid4().hex}"
    dsn = postgres_url.replace("+asyncpg", "")
    started: list[str] = []  # a task body runs once its "running" record is committed
    release = {"a": asyncio.Event(), "b": asyncio.Event()}

    def make(name: str) -> Callable[[], Awaitable[str]]:
        async def work() -> str:
            started.append(name)
            await release[name[0]].wait()
            return name

        return work

    for i in range(width):
        registry.task(make(f"a{i}"), name=f"a{i}")
        registry.task(make(f"b{i}"), name=f"b{i}", dependencies=[f"a{i}"])
    store = SqlRunStore(postgres_url, table_prefix=prefix)
    plan = Planner(registry).create_execution_plan()
    run = asyncio.ensure_future(
        run_pipeline(
            plan, run_store=store, io_manager=MemoryIOManager(), run_id=run_id,
            max_concurrency=2 * width,
        )
    )  # fmt: skip
    try:
        await _until(lambda: len(started) == width, run)
        async with cut_mid_statement(dsn, f"LOCK TABLE {prefix}tasks IN EXCLUSIVE MODE") as admin:
            release["a"].set()  # the first to finish writes alone (and waits), the rest queue
            lone = await cut_blocked(admin)
        await _until(lambda: len(started) == 2 * width, run)  # the a-tasks recorded succeeded
        row = (  # the b-task that started last finishes last: its write is in the batch
            f"SELECT 1 FROM {prefix}tasks WHERE run_id = '{run_id}'"
            f" AND task_name = '{started[-1]}' FOR UPDATE"
        )
        async with cut_mid_statement(dsn, row) as admin:
            release["b"].set()
            batch = await cut_blocked(admin)
        result = (await asyncio.wait_for(run, 60)).unwrap()
        assert f"{prefix}attempts" in lone.query and not lone.batch
        assert f"{prefix}attempts" in batch.query and batch.batch and batch.pid != lone.pid
        assert result.state is RunState.SUCCEEDED
        names = sorted(f"{x}{i}" for x in "ab" for i in range(width))
        assert sorted(started) == names  # each task ran once
        record = await store.get_run(run_id)
        assert record is not None and record.state is RunState.SUCCEEDED
        assert sorted((t.task_name, t.state, t.attempts) for t in record.tasks) == [
            (name, TaskState.SUCCEEDED, 1) for name in names
        ]
        attempts = await store.list_attempts(run_id)
        assert sorted((x.task_name, x.attempt, x.state) for x in attempts) == [
            (name, 1, TaskState.SUCCEEDED) for name in names
        ]
    finally:
        for event in release.values():
            event.set()
        await asyncio.wait_for(asyncio.gather(run, return_exceptions=True), 60)
        await store.drop_tables()
        await store.close()
