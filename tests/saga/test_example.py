"""The saga_recovery example runs: a SIGKILLed saga is recovered, each booking made once."""

from __future__ import annotations

from _examples import run_example


def test_saga_recovery_example_runs() -> None:
    """The child is killed, recovery skips the repeated hotel booking and completes the trip."""
    out = run_example("saga_recovery")
    assert "child exited with -9" in out
    assert "hotel: already booked under trip-1:hotel, skipping" in out
    assert "trip-1 is now completed" in out
    assert "bookings: ['car', 'flight', 'hotel']" in out
