"""Run one ``python -m examples <name>`` in a subprocess for the example tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str) -> str:
    """The stdout of ``python -m examples <name>`` run from the repository root (exit 0)."""
    return subprocess.run(
        [sys.executable, "-m", "examples", name],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    ).stdout
