"""The pytest plugin: registered through the pytest11 entry point, fixtures undo their patches."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from rfs.result import Success
from rfs.testing import RecordingSleep, ResultServiceMocker


class Clock:
    def now(self) -> object:
        return Success("real")


clock = Clock()


def test_entry_point_registers_the_plugin() -> None:
    """The installed distribution declares rfs.testing.plugin under pytest11."""
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("rfs") == "rfs.testing.plugin"


def test_result_service_mocker_fixture_patches(result_service_mocker: object) -> None:
    """The fixture patches without a with-block, resolving names in the test module."""
    mock = result_service_mocker("clock", "now")  # type: ignore[operator]
    assert isinstance(mock, ResultServiceMocker)
    mock.return_success("fake")
    assert clock.now() == Success("fake")


def test_recording_sleep_fixture(recording_sleep: RecordingSleep) -> None:
    """The recording_sleep fixture is a fresh RecordingSleep."""
    assert recording_sleep.delays == [] and recording_sleep.total == 0


def test_fixture_patches_are_undone_after_the_test(tmp_path: Path) -> None:
    """In a separate pytest run, a patch made through the fixture is gone in the next test."""
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(
        "from rfs.result import Success\n"
        "class Svc:\n"
        "    async def get(self):\n"
        "        return Success('real')\n"
        "svc = Svc()\n"
        "async def test_a(result_service_mocker):\n"
        "    result_service_mocker(svc, 'get').return_success('fake')\n"
        "    assert await svc.get() == Success('fake')\n"
        "async def test_b():\n"
        "    assert await svc.get() == Success('real')\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            str(test_file),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


FRESH_TEST = """\
import asyncio

from rfs.result import Success


async def get_user(user_id: str):
    await asyncio.sleep(0)
    return Success(user_id)


async def test_get_user():
    assert await get_user("1") == Success("1")
"""


def _pytest_in_fresh_project(folder: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    (folder / "pyproject.toml").write_text('[project]\nname = "orders"\nversion = "0"\n')
    (folder / "test_orders.py").write_text(FRESH_TEST)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    return subprocess.run(
        [*command, "-p", "no:randomly", *flags], cwd=folder, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_async_tests_run_in_a_fresh_project_with_no_configuration(tmp_path: Path) -> None:
    """A new project's ``async def`` test passes with no asyncio_mode, with or without
    pytest-asyncio installed (``-p no:asyncio`` stands in for "not installed")."""
    for flags in ((), ("-p", "no:asyncio")):
        run = _pytest_in_fresh_project(tmp_path, *flags)
        assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr


def test_without_the_plugin_pytest_refuses_the_async_test(tmp_path: Path) -> None:
    """The control: the same project without rfs's plugin fails as the new user saw it."""
    run = _pytest_in_fresh_project(tmp_path, "-p", "no:asyncio", "-p", "no:rfs")
    assert run.returncode == 1, run.stdout
    assert "async def functions are not natively supported" in run.stdout
