"""A resumed pipeline run continues under the correlation id stored in its run record: in
process (the first run failed midway) and through ``rfs run --resume`` (a new process)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rfs.events import Event
from rfs.events.ports import PublishError
from rfs.monitoring import correlation_scope, current_correlation_id, log_info
from rfs.pipeline import MemoryIOManager, MemoryRunStore, TaskRegistry, run_pipeline
from rfs.pipeline.events import RUN_STARTED
from rfs.pipeline.store.base import RunState
from rfs.pipeline.store.sql import SqlRunStore
from rfs.result import Result, Success


class Events:
    """A publisher keeping what it was given."""

    def __init__(self) -> None:
        self.seen: list[Event] = []

    async def publish(self, topic: str, event: Event) -> Result[None, PublishError]:
        self.seen.append(event)
        return Success(None)


def _pipeline(broken: list[bool]) -> TaskRegistry:
    registry = TaskRegistry()

    @registry.task
    def extract() -> str | None:
        log_info("extracting")
        return current_correlation_id()

    @registry.task(dependencies=["extract"])
    def load(extract: str | None) -> str | None:
        log_info("loading")
        if broken[0]:
            raise RuntimeError("disk full")
        return current_correlation_id()

    return registry


@pytest.mark.parametrize("caller", [None, "someone-else"])
async def test_resume_continues_under_the_stored_id(
    caller: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """The resumed attempts, their log entries and the run record keep the first run's id,
    with or without a caller's scope; run_started names a different caller's id."""
    caplog.set_level(logging.INFO, logger="rfs.monitoring")
    broken = [True]
    registry, io, store = _pipeline(broken), MemoryIOManager(), MemoryRunStore()
    with correlation_scope("first-run-cid"):
        error = (await run_pipeline(registry=registry, io_manager=io, run_store=store)).error
    broken[0] = False
    caplog.clear()
    events = Events()
    resume = run_pipeline(registry=registry, io_manager=io, run_store=store,
                          resume=error.run_id, publisher=events)  # fmt: skip
    if caller is None:
        result = (await resume).unwrap()
    else:
        with correlation_scope(caller):
            result = (await resume).unwrap()
        assert current_correlation_id() is None
    assert result.executed == ["load"] and result.output("load") == "first-run-cid"
    loading = [r for r in caplog.records if r.getMessage() == "loading"]
    assert [r.correlation_id for r in loading] == ["first-run-cid"]  # type: ignore[attr-defined]
    record = await store.get_run(error.run_id)
    assert record is not None and record.spec["correlation_id"] == "first-run-cid"
    started = next(e for e in events.seen if e.topic == RUN_STARTED)
    assert started.data["resumed"] is True
    assert started.data.get("resumed_by") == caller
    assert {e.correlation_id for e in events.seen} == {"first-run-cid"}  # not the run id


async def test_a_new_run_takes_the_callers_id() -> None:
    """Without resume the caller's id is the run's (and a run gets a new one without it)."""
    registry, io, store = _pipeline([False]), MemoryIOManager(), MemoryRunStore()
    with correlation_scope("caller-cid"):
        first = (await run_pipeline(registry=registry, io_manager=io, run_store=store)).unwrap()
    second = (await run_pipeline(registry=registry, io_manager=io, run_store=store)).unwrap()
    assert first.output("load") == "caller-cid"
    assert second.output("load") not in (None, "caller-cid")


PIPELINE = """
import os
from rfs.monitoring import configure_logging, log_info
from rfs.pipeline import task

configure_logging(json=True, logger="rfs.monitoring", stream=open(os.environ["LOG"], "a"))


@task
def extract() -> int:
    log_info("extracting")
    return 1


@task(dependencies=["extract"])
def load(extract: int) -> int:
    log_info("loading")
    if os.environ.get("BROKEN") == "1":
        raise RuntimeError("disk full")
    return extract + 1
"""


def _rfs(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, LOG=str(tmp_path / "log.jsonl"), COLUMNS="200", **env)
    full["RFS_RUN_STORE_URL"] = f"sqlite:///{tmp_path}/runs.db"
    return subprocess.run(
        [sys.executable, "-c", "from rfs.cli.main import main; main()", *args],
        cwd=tmp_path, env=full, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _entries(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "log.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


async def test_cli_resume_logs_under_the_first_runs_id(tmp_path: Path) -> None:
    """``rfs run`` fails midway; ``rfs run --resume`` in a new process logs the resumed task's
    entries under the id the first process stored in the run record."""
    (tmp_path / "etl.py").write_text(PIPELINE)
    failed = _rfs(tmp_path, "run", "etl.py", BROKEN="1")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    run_id = failed.stdout.split("rfs run --resume ")[1].split()[0]
    store = SqlRunStore(f"sqlite:///{tmp_path}/runs.db")
    try:
        record = await store.get_run(run_id)
    finally:
        await store.close()
    assert record is not None and record.state is RunState.FAILED  # the broken run, recorded
    cid = record.spec["correlation_id"]
    assert isinstance(cid, str) and cid
    first = _entries(tmp_path)
    assert {(e["event"], e["correlation_id"]) for e in first} == {
        ("extracting", cid),
        ("loading", cid),
    }
    resumed = _rfs(tmp_path, "run", "--resume", run_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    later = _entries(tmp_path)[len(first) :]
    assert [(e["event"], e["correlation_id"]) for e in later] == [("loading", cid)]
