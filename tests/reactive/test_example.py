"""The reactive example runs and prints what it shows."""

from __future__ import annotations

from _examples import run_example


def test_reactive_basics_example_runs() -> None:
    """``python -m examples reactive_basics`` shows retries, a timeout and a bounded batch."""
    out = run_example("reactive_basics")
    assert "price after retries: Success(0.9) (3 attempts)" in out
    assert "slow lookup: Failure(timeout: Operation timed out after 0.05 seconds)" in out
    assert "batch of 100: 75 priced, 25 refused" in out
    assert "Success(0.9)" in out.splitlines()[-1]
