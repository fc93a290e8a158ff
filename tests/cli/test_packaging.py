"""Install-time promises: a cheap pytest plugin, a read-only saga log on PostgreSQL, metadata."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_pytest_plugin_imports_nothing_until_a_fixture_is_used() -> None:
    """Loading the ``pytest11`` plugin imports no asyncio, unittest.mock or rfs subsystem."""
    code = (
        "import sys, pytest\n"
        "before = set(sys.modules)\n"
        "import rfs.testing.plugin as plugin\n"
        "assert callable(plugin.recording_sleep)\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    added = eval(out.stdout)  # our own repr of a list of strings
    heavy = ("asyncio", "unittest", "rfs.testing.mocking", "rfs.testing.sleep", "rfs.reactive")
    assert not [m for m in added if m.startswith(heavy)], added


def test_pytest_plugin_fixtures_work(tmp_path: Path) -> None:
    """The plugin's fixtures are there through the entry point; ``-p no:rfs`` removes them."""
    (tmp_path / "test_it.py").write_text(
        "def test_sleep(recording_sleep):\n    assert recording_sleep.delays == []\n"
    )
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    ok = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout
    off = subprocess.run([*cmd, "-p", "no:rfs"], cwd=tmp_path, capture_output=True, text=True)
    assert off.returncode == 1 and "fixture 'recording_sleep' not found" in off.stdout


def test_metadata_core_dependencies_and_extras() -> None:
    """Core deps are what the core imports; every extra has code; the version is single-sourced."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {d.split("[")[0].split(">")[0].split("<")[0] for d in project["dependencies"]}
    assert names == {"pydantic", "sqlalchemy", "aiosqlite", "croniter", "typer", "rich"}
    assert "version" in project["dynamic"] and "Typing :: Typed" in project["classifiers"]
    # otel is backed by rfs.monitoring.otel and holds the API only: the SDK is the app's choice
    assert [d.split(">")[0] for d in project["optional-dependencies"]["otel"]] == [
        "opentelemetry-api"
    ]
    assert any("<" in d for d in project["dependencies"] if d.startswith("croniter"))
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_project_urls_are_one_repository_and_match_the_readme() -> None:
    """Homepage, Documentation, Source and Issues point into one repository; the README links
    the same addresses."""
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    home = urls["Homepage"]
    assert home.startswith("https://github.com/") and urls["Source"] == home
    assert urls["Documentation"] == f"{home}/tree/main/docs" and urls["Issues"] == f"{home}/issues"
    readme = (ROOT / "README.md").read_text()
    for url in urls.values():
        assert f"<{url}>" in readme, url


@pytest.mark.service("postgres")
def test_saga_list_with_a_wrong_prefix_creates_no_table(postgres_url: str) -> None:
    """``saga list --table-prefix typo_`` on PostgreSQL says there is no log and creates
    nothing in the user's database."""
    from sqlalchemy import inspect
    from sqlalchemy.ext.asyncio import create_async_engine

    prefix = f"nolog_{uuid.uuid4().hex[:8]}_"
    args = ["saga", "list", "--url", postgres_url, "--table-prefix", prefix]
    out = subprocess.run(
        [sys.executable, "-m", "rfs", *args], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and "no saga log at" in out.stderr, out.stderr

    async def tables() -> list[str]:
        engine = create_async_engine(postgres_url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        await engine.dispose()
        return [n for n in names if n.startswith(prefix)]

    assert asyncio.run(tables()) == []
