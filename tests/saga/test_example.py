"""The saga_recovery example runs: a SIGKILLed saga is recovered, each booking made once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_saga_recovery_example_runs() -> None:
    """The child is killed, recovery skips the repeated hotel booking and completes the trip."""
    out = subprocess.run(
        [sys.executable, "-m", "examples", "saga_recovery"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "child exited with -9" in out
    assert "hotel: already booked under trip-1:hotel, skipping" in out
    assert "trip-1 is now completed" in out
    assert "bookings: ['car', 'flight', 'hotel']" in out
