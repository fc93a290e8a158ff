"""``rfs coldstart``: real fresh processes, an ASGI app served once, exit codes and --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rfs.result import Failure, Success
from rfs.serverless import measure_cold_start

ASGI_APP = """
import heavylib  # a "third-party" import costing 150 ms

STARTED = []


class App:
    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            message = await receive()
            STARTED.append(message["type"])
            await send({"type": "lifespan.startup.complete"})
            await receive()
            return
        status = 200 if scope["path"] == "/" and STARTED else 404
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


app = App()


def create_app():
    return App()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A directory with an ASGI app, a heavy fake library and some broken targets."""
    (tmp_path / "heavylib").mkdir()
    (tmp_path / "heavylib" / "__init__.py").write_text("import time\ntime.sleep(0.15)\n")
    (tmp_path / "asgi_app.py").write_text(ASGI_APP)
    (tmp_path / "plain.py").write_text("VALUE = 1\n")
    (tmp_path / "syntax_err.py").write_text("def broken(:\n")
    (tmp_path / "raises.py").write_text("raise RuntimeError('missing DATABASE_URL')\n")
    (tmp_path / "dies.py").write_text("import os\nos._exit(3)\n")
    (tmp_path / "hangs.py").write_text("import time\ntime.sleep(30)\n")
    (tmp_path / "bad_life.py").write_text(
        "async def app(scope, receive, send):\n"
        "    await receive()\n"
        "    await send({'type': 'lifespan.startup.failed', 'message': 'no db'})\n"
    )
    return tmp_path


def rfs(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from rfs.cli.main import main; main()", "coldstart", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_asgi_app_is_started_and_served_once(project: Path) -> None:
    """The app gets lifespan startup and one GET; the report has times, imports, suggestions."""
    out = rfs(project, "asgi_app:app", "-n", "2", "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ready"] == "HTTP 200 /"
    assert len(report["runs_s"]) == 2 and report["median_s"] >= 0.15
    assert report["p90_s"] >= report["median_s"]
    assert report["interpreter_median_s"] > 0
    assert "asgi_app" in [i["module"] for i in report["imports"]]
    assert [c["module"] for c in report["lazy_import_candidates"]] == ["heavylib"]


def test_human_output_names_the_suggestion(project: Path) -> None:
    """Without --json the report is a table and a suggestion line naming the heavy import."""
    out = rfs(project, "asgi_app.py:create_app", "-n", "1", "--path", "/nowhere")
    assert out.returncode == 0, out.stderr
    assert "ready = HTTP 404 /nowhere" in out.stdout
    assert "time to ready: median" in out.stdout and "Imports by cost" in out.stdout
    assert "heavylib" in out.stdout.split("Could be imported lazily")[1]


def test_a_plain_module_is_ready_when_imported(project: Path) -> None:
    """A module target is ready once imported."""
    result = measure_cold_start("plain", runs=1, cwd=str(project), baseline=False)
    assert isinstance(result, Success) and result.value.ready == "imported"


@pytest.mark.parametrize(
    ("target", "status", "message"),
    [
        ("no_such_module:app", 2, "no module named 'no_such_module'"),
        ("missing.py", 2, "no such file: missing.py"),
        ("syntax_err.py", 2, "SyntaxError"),
        ("asgi_app:nothing", 2, "asgi_app has no attribute 'nothing'"),
        (":app", 2, "target must be module[:attr]"),
        ("raises", 1, "RuntimeError: missing DATABASE_URL"),
        ("dies", 1, "died before ready"),
        ("bad_life:app", 1, "lifespan startup failed: no db"),
    ],
)
def test_errors_are_one_line_with_their_exit_status(
    project: Path, target: str, status: int, message: str
) -> None:
    """A target that cannot be found or parsed exits 2; an app that raises, dies or fails its
    startup is a failed run, exit 1; either way one line on stderr, no traceback."""
    out = rfs(project, target, "-n", "1")
    assert out.returncode == status, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in out.stderr


def test_bad_options_exit_2(project: Path) -> None:
    """``--runs 0`` is a usage error."""
    out = rfs(project, "plain", "--runs", "0")
    assert out.returncode == 2 and "--runs" in out.stderr


def test_a_hanging_app_times_out(project: Path) -> None:
    """An app that never gets ready is killed after --timeout and reported."""
    result = measure_cold_start("hangs", runs=1, cwd=str(project), timeout=0.5)
    assert isinstance(result, Failure) and result.error.kind == "failed"
    assert "not ready after 0.5 s" in str(result.error)
