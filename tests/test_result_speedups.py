"""The C hot paths (rfs.result, the metrics recorder) and the pure-Python fallback behave the
same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import rfs.result

HERE = Path(__file__).parent


def test_speedups_are_used_when_built() -> None:
    """When the extension was compiled, rfs.result uses it (unless RFS_PURE_PYTHON=1)."""
    built = any(Path(rfs.result.__file__).parent.glob("_speedups*.so"))
    if not built:
        pytest.skip("the C extension was not compiled in this installation")
    expected = os.environ.get("RFS_PURE_PYTHON") != "1"
    assert rfs.result.SPEEDUPS is expected
    assert type(rfs.result.Success(1)).__module__ == "rfs.result"


def test_pure_python_fallback_passes_the_same_tests() -> None:
    """The Result, v4 and metrics test modules pass again with RFS_PURE_PYTHON=1 (no C
    extension)."""
    env = {**os.environ, "RFS_PURE_PYTHON": "1"}
    modules = [
        str(HERE / name)
        for name in (
            "test_result.py",
            "test_compat_v4.py",
            "test_migration_v4.py",
            "reactive/test_v4_compat.py",
            "reactive/test_mono_result.py",
            "monitoring/test_metrics.py",
            "monitoring/test_recorder.py",
        )
    ]
    pytest_args = ["-q", "-p", "no:xdist", "-p", "no:cacheprovider", *modules]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args],
        capture_output=True,
        text=True,
        env=env,
        cwd=HERE.parent,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    probe = subprocess.run(
        [sys.executable, "-c", "import rfs.result as r; print(r.SPEEDUPS)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert probe.stdout.strip() == "False"
