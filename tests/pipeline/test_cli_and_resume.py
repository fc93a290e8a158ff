"""``rfs run``/``plan``/``runs`` as a user runs them, and resuming a run whose driver was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

RFS = [sys.executable, "-c", "from rfs.cli.main import main; main()"]

PIPELINE = """
import os, time
from pathlib import Path
from rfs.pipeline import task

MARKS = Path(os.environ["MARKS"])


def mark(name: str) -> None:
    (MARKS / f"{name}-{time.time_ns()}").touch()


@task(tags=["demo"])
def a() -> int:
    mark("a")
    return 1


@task(dependencies=["a"])
def b(a: int) -> int:
    mark("b")
    return a + 1


@task(dependencies=["b"])
def slow(b: int) -> int:
    mark("slow")
    if os.environ.get("HANG") == "1":
        (MARKS / "hanging").touch()
        time.sleep(120)
    return b + 1


@task(dependencies=["slow"])
def c(slow: int) -> int:
    mark("c")
    if os.environ.get("FAIL_C") == "1":
        raise RuntimeError("c is broken")
    return slow + 1
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    env = dict(os.environ, MARKS=str(marks), RFS_RUN_STORE_URL=f"sqlite:///{tmp_path}/runs.db")
    env.update(extra)
    env["COLUMNS"] = "200"
    return env


def _cli(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RFS, *args], cwd=tmp_path, env=_env(tmp_path, **extra), capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


def _counts(tmp_path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in (tmp_path / "marks").iterdir():
        if p.name != "hanging":
            name = p.name.rsplit("-", 1)[0]
            counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo_pipeline.py"
    path.write_text(PIPELINE)
    return path


def test_plan_prints_levels_and_graphs(tmp_path: Path, pipeline_file: Path) -> None:
    """rfs plan prints numbered levels; --format mermaid/dot print the graph only; a module
    name under the working directory works like a file path."""
    text = _cli(tmp_path, "plan", "demo_pipeline.py")
    assert text.returncode == 0, text.stderr
    assert "4 tasks in 4 levels" in text.stdout and "1. a" in text.stdout
    mermaid = _cli(tmp_path, "plan", "demo_pipeline.py", "--format", "mermaid")
    assert mermaid.stdout.startswith("graph TD") and "-->" in mermaid.stdout
    by_module = _cli(tmp_path, "plan", "demo_pipeline", "--format", "dot", "--targets", "b")
    assert by_module.returncode == 0, by_module.stdout + by_module.stderr
    dot = _cli(tmp_path, "plan", "demo_pipeline.py", "--format", "dot", "--targets", "b")
    assert dot.stdout == by_module.stdout
    assert '"a" -> "b";' in dot.stdout and "slow" not in dot.stdout


def test_plan_error_exits_2(tmp_path: Path) -> None:
    """A pipeline with a cycle is refused by rfs plan and rfs run with exit code 2."""
    (tmp_path / "cyc.py").write_text(
        "from rfs.pipeline import task\n"
        "task(lambda: 1, name='x', dependencies=['y'])\n"
        "task(lambda: 1, name='y', dependencies=['x'])\n"
    )
    for cmd in ("plan", "run"):
        out = _cli(tmp_path, cmd, "cyc.py")
        assert out.returncode == 2 and "x → y → x" in out.stderr


def test_failed_run_exits_1_and_runs_show_it(tmp_path: Path, pipeline_file: Path) -> None:
    """A failing task makes rfs run exit 1; rfs runs list/show report the run and error."""
    out = _cli(tmp_path, "run", "demo_pipeline.py", FAIL_C="1")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "c is broken" in out.stdout and "resume with: rfs run --resume" in out.stdout
    run_id = out.stdout.split("rfs run --resume ")[1].split()[0]
    listed = _cli(tmp_path, "runs", "list")
    assert run_id in listed.stdout and "failed" in listed.stdout
    shown = _cli(tmp_path, "runs", "show", run_id)
    assert shown.returncode == 0 and "RuntimeError: c is broken" in shown.stdout
    assert _cli(tmp_path, "runs", "show", "nope").returncode == 2  # a user error
    # fixing the bug and resuming re-runs only c
    resumed = _cli(tmp_path, "run", "--resume", run_id)
    assert resumed.returncode == 0, resumed.stdout
    assert _counts(tmp_path) == {"a": 1, "b": 1, "slow": 1, "c": 2}


@pytest.mark.slow
def test_driver_killed_mid_run_resumes_unfinished_tasks_only(
    tmp_path: Path, pipeline_file: Path
) -> None:
    """SIGKILL of the rfs run process mid-task leaves a run that --resume completes,
    executing only the tasks that had not finished."""
    proc = subprocess.Popen(
        [*RFS, "run", "demo_pipeline.py"], cwd=tmp_path, env=_env(tmp_path, HANG="1"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "marks" / "hanging").exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    listed = _cli(tmp_path, "runs", "list")
    assert "running" in listed.stdout
    run_id = next(w for w in listed.stdout.split() if w.count("-") == 1 and "T" in w)
    resumed = _cli(tmp_path, "run", "--resume", run_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming: 2 task(s) already done" in resumed.stdout
    assert _counts(tmp_path) == {"a": 1, "b": 1, "slow": 2, "c": 1}
    shown = _cli(tmp_path, "runs", "show", run_id)
    assert "succeeded" in shown.stdout
