"""The reactive example runs and prints what it shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_reactive_basics_example_runs() -> None:
    """``python -m examples reactive_basics`` shows retries, a timeout and a bounded batch."""
    run = subprocess.run(
        [sys.executable, "-m", "examples", "reactive_basics"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    assert "price after retries: Success(0.9) (3 attempts)" in run.stdout
    assert "slow lookup: Failure(OperationTimeoutError('timeout:" in run.stdout
    assert "batch of 100: 75 priced, 25 refused" in run.stdout
    assert "Success(0.9)" in run.stdout.splitlines()[-1]
