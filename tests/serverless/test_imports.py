"""The new subsystems stay cheap to import: standard library only."""

from __future__ import annotations

import subprocess
import sys

import pytest

from _procs import unmeasured_env


@pytest.mark.parametrize(
    "statement",
    [
        "from rfs.async_tasks import AsyncTaskManager",
        "from rfs.serverless import ColdStartOptimizer",
        "from rfs.plugins import PluginRegistry",
    ],
)
def test_importing_loads_no_third_party_package(statement: str) -> None:
    """Importing the headline class imports nothing outside the standard library and rfs."""
    code = (
        f"import sys\n{statement}\n"
        "std = sys.stdlib_module_names\n"
        "extra = sorted({m.split('.')[0] for m in sys.modules} - set(std) - {'rfs'})\n"
        "print(','.join(x for x in extra if not x.startswith('_')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=unmeasured_env(),
    )
    assert out.stdout.strip() == ""


def test_importing_the_packages_imports_no_implementation() -> None:
    """``import rfs.async_tasks, rfs.serverless, rfs.plugins`` loads only their __init__."""
    code = (
        "import sys, rfs.async_tasks, rfs.serverless, rfs.plugins\n"
        "print(sorted(m for m in sys.modules if m.startswith('rfs.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=unmeasured_env(),
    )
    assert out.stdout.strip() == "['rfs._lazy', 'rfs.async_tasks', 'rfs.plugins', 'rfs.serverless']"
