"""The new subsystems stay cheap to import: standard library only."""

from __future__ import annotations

import pytest

from _procs import python_output, third_party_imports_of


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
    assert third_party_imports_of(statement) == ""


def test_importing_the_packages_imports_no_implementation() -> None:
    """``import rfs.async_tasks, rfs.serverless, rfs.plugins`` loads only their __init__."""
    code = (
        "import sys, rfs.async_tasks, rfs.serverless, rfs.plugins\n"
        "print(sorted(m for m in sys.modules if m.startswith('rfs.')))"
    )
    loaded = python_output(code)
    assert loaded == "['rfs._lazy', 'rfs.async_tasks', 'rfs.plugins', 'rfs.serverless']"
