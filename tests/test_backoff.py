"""The shared retry delay: exponential, capped, equal jitter (rfs._backoff)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from rfs._backoff import ceiling, jittered, retry_delay

attempts = st.integers(min_value=1, max_value=10_000)
bases = st.floats(min_value=0.0, max_value=100.0, allow_nan=False)
caps = st.floats(min_value=0.0, max_value=1_000.0, allow_nan=False)
unit = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


@given(attempts, bases, caps, unit)
def test_delay_lies_in_the_upper_half_of_the_capped_ceiling(
    attempt: int, base: float, cap: float, r: float
) -> None:
    """A delay is between half the capped exponential ceiling and the ceiling itself."""
    top = ceiling(attempt, base, cap)
    delay = retry_delay(attempt, base, cap, rand=lambda: r)
    assert 0.0 <= top <= cap
    assert top / 2 - 1e-12 <= delay <= top + 1e-12


@given(st.integers(min_value=1, max_value=60), st.floats(min_value=0.001, max_value=10.0))
def test_ceiling_doubles_until_the_cap(attempt: int, base: float) -> None:
    """Without the cap the ceiling is base * 2**(attempt-1); with it, never above the cap."""
    assert ceiling(attempt, base, float("inf")) == base * 2.0 ** (attempt - 1)
    assert ceiling(attempt + 1, base, 5.0) >= ceiling(attempt, base, 5.0)


@given(st.floats(min_value=0.0, max_value=1e6), st.floats(min_value=0.0, max_value=1.0), unit)
def test_jittered_stays_within_its_spread(delay: float, spread: float, r: float) -> None:
    """A jittered delay is in [delay * (1 - spread), delay]."""
    value = jittered(delay, spread, lambda: r)
    assert delay * (1 - spread) - 1e-9 <= value <= delay + 1e-9


def test_two_callers_failing_together_do_not_retry_in_lockstep() -> None:
    """Two callers retrying the same attempts pick different delays (they spread out)."""
    first = random.Random(1)
    second = random.Random(2)
    a = [retry_delay(n, 0.1, 30.0, rand=first.random) for n in range(1, 9)]
    b = [retry_delay(n, 0.1, 30.0, rand=second.random) for n in range(1, 9)]
    assert all(x != y for x, y in zip(a, b, strict=True))
    # and with the process-wide generator too
    c = [retry_delay(5, 0.1, 30.0) for _ in range(50)]
    assert len(set(c)) > 40
