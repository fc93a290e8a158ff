"""`rfs` as a script uses it: exit codes, one-line errors, read-only reads, --json, whole ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "etl" / "pipeline.py"

PIPELINE = """
from rfs.pipeline import task


@task(tags=["demo"])
def first() -> int:
    return 1


@task(dependencies=["first"])
def second(first: int, batch_size: int) -> int:
    return first * batch_size
"""


def rfs(cwd: Path, *args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "RFS_RUN_STORE_URL": ""}
    env.pop("RFS_SAGA_LOG_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "rfs", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(out: subprocess.CompletedProcess[str], *words: str) -> None:
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr
    for word in words:
        assert word in lines[0], out.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pipe.py").write_text(PIPELINE)
    return tmp_path


def test_user_errors_are_one_line_and_exit_2(project: Path) -> None:
    """Typo'd tags, no tasks, a syntax error, a bogus executor and a missing file exit 2."""
    one_line_error(rfs(project, "run", "pipe.py", "--tags", "typo"), "typo", "demo")
    (project / "empty.py").write_text("x = 1\n")
    one_line_error(rfs(project, "run", "empty.py"), "no @task")
    (project / "bad.py").write_text("def f(:\n")
    one_line_error(rfs(project, "run", "bad.py"), "syntax error", "bad.py:1")
    one_line_error(rfs(project, "run", "pipe.py", "--executor", "bogus"), "bogus")
    one_line_error(rfs(project, "run", "nope.py"), "nope.py")
    one_line_error(rfs(project, "run", "pipe.py", "--no-such-option"), "--no-such-option")
    assert not (project / ".rfs" / "runs.db").exists()


def test_debug_shows_the_traceback(project: Path) -> None:
    """``--debug`` (anywhere on the line) turns the one-line error into a traceback."""
    (project / "bad.py").write_text("def f(:\n")
    out = rfs(project, "run", "bad.py", "--debug")
    assert "Traceback" in out.stderr and out.returncode != 0


def test_plan_checks_required_parameters_like_run(project: Path) -> None:
    """``plan`` refuses a task parameter nobody gives, as ``run`` does; ``--param`` fixes it."""
    for cmd in ("plan", "run"):
        one_line_error(rfs(project, cmd, "pipe.py"), "batch_size", "--param")
    out = rfs(project, "plan", "pipe.py", "--param", "second.batch_size=3", "--json")
    assert out.returncode == 0, out.stderr
    plan = json.loads(out.stdout)
    assert plan["order"] == ["first", "second"]


def test_param_is_typed_by_the_annotation_and_params_file(project: Path) -> None:
    """``--param batch_size=3`` reaches the task as int 3; a bad int is a user error; a TOML
    params file works too."""
    one_line_error(rfs(project, "run", "pipe.py", "--param", "batch_size=x"), "batch_size")
    out = rfs(project, "run", "pipe.py", "--param", "batch_size=3")
    assert out.returncode == 0, out.stdout + out.stderr
    (project / "p.toml").write_text("[second]\nbatch_size = 4\n")
    out = rfs(project, "run", "pipe.py", "--params-file", "p.toml")
    assert out.returncode == 0, out.stdout + out.stderr
    runs = json.loads(rfs(project, "runs", "list", "--json").stdout)
    assert len(runs) == 2 and all(r["state"] == "succeeded" for r in runs)


def test_read_only_commands_create_nothing(tmp_path: Path) -> None:
    """``runs list|show`` and ``saga list|show`` on a fresh folder say what is missing, exit 2
    and create no database file."""
    for args in (("runs", "list"), ("runs", "show", "bogus"), ("saga", "show", "x"),
                 ("saga", "list")):  # fmt: skip
        one_line_error(rfs(tmp_path, *args), "no ")
    assert list(tmp_path.iterdir()) == []


def test_runs_list_and_show_whole_ids_json_and_run_order(tmp_path: Path) -> None:
    """At 80 columns, non-TTY, run ids are whole; ``--json`` parses; tasks are in run order."""
    assert rfs(tmp_path, "run", str(EXAMPLE)).returncode == 0
    runs = json.loads(rfs(tmp_path, "runs", "list", "--json").stdout)
    run_id = runs[0]["run_id"]
    listing = rfs(tmp_path, "runs", "list", columns=80)
    assert run_id in listing.stdout
    assert max(len(line) for line in listing.stdout.splitlines()) <= 80
    shown = json.loads(rfs(tmp_path, "runs", "show", run_id, "--json").stdout)
    started = [t["started_at"] for t in shown["tasks"] if t["started_at"] is not None]
    assert started == sorted(started) and shown["tasks"][0]["task"] == "extract"
    text = rfs(tmp_path, "runs", "show", run_id, columns=80)
    assert text.returncode == 0 and run_id in text.stdout


def test_help_has_plain_metavars_and_text_on_every_option() -> None:
    """No ``<bool>``/``<list[str]>`` metavars; every option of every command has help text."""
    from typer.main import get_command

    from rfs.cli.main import build_app

    def walk(command: object, path: str) -> None:
        for param in getattr(command, "params", []):
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"{path} {param.opts} has no help"
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(get_command(build_app()), "rfs")
    out = rfs(ROOT, "run", "--help")
    assert "<list" not in out.stdout and "<bool>" not in out.stdout and "--tags TAGS" in out.stdout


def test_python_m_rfs_version() -> None:
    """``python -m rfs --version`` prints the version."""
    import rfs as package

    out = rfs(ROOT, "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"rfs {package.__version__}"


def test_info_says_whether_the_c_fast_path_is_loaded() -> None:
    """``rfs info`` reports the C fast path."""
    out = rfs(ROOT, "info")
    assert out.returncode == 0 and "C fast path:" in out.stdout


def test_scheduler_list_file_importing_a_sibling(tmp_path: Path) -> None:
    """``scheduler list file.py:attr`` finds modules next to the file, and offers --json."""
    (tmp_path / "sibling.py").write_text("SCHEDULE = '0 3 * * *'\n")
    (tmp_path / "jobs.py").write_text(
        "from sibling import SCHEDULE\n"
        "from rfs.scheduler import Scheduler, create_cron_trigger\n"
        "async def build():\n"
        "    s = Scheduler()\n"
        "    await s.register_trigger('nightly', create_cron_trigger(SCHEDULE), 'jobs.go')\n"
        "    return s\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = rfs(elsewhere, "scheduler", "list", str(tmp_path / "jobs.py") + ":build", "--json")
    assert out.returncode == 0, out.stderr
    assert [t["name"] for t in json.loads(out.stdout)] == ["nightly"]
    one_line_error(rfs(elsewhere, "scheduler", "list", "jobs.py:build"), "jobs.py")
    one_line_error(rfs(elsewhere, "scheduler", "list", "no_colon"), "module:attr")


FLAKY = """
from pathlib import Path

from rfs.pipeline import task


@task
def first() -> int:
    return 1


@task(dependencies=["first"], max_retries=0)
def second(first: int) -> int:
    if not Path("fixed").exists():
        raise RuntimeError("not yet")
    return first + 1
"""


def test_resume_summary_counts_from_the_resume(tmp_path: Path) -> None:
    """After ``--resume`` the summary's time is this invocation's, not time since the run's
    first start (here backdated by an hour), and the run finishes."""
    import re
    import sqlite3

    (tmp_path / "flaky.py").write_text(FLAKY)
    failed = rfs(tmp_path, "run", "flaky.py")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    [run_id] = re.findall(r"rfs run --resume (\S+)", failed.stdout)
    with sqlite3.connect(tmp_path / ".rfs" / "runs.db") as db:
        moved = db.execute(
            "UPDATE rfs_pipeline_runs SET started_at = started_at - 3600 WHERE run_id = ?",
            (run_id,),
        )
        assert moved.rowcount == 1
    (tmp_path / "fixed").touch()
    resumed = rfs(tmp_path, "run", "--resume", run_id)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    [took] = re.findall(r"in ([0-9.]+) s", resumed.stdout)
    assert float(took) < 600, resumed.stdout  # without the fix: over 3,600 s
