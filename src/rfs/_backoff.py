"""The one retry delay formula of rfs: exponential, capped, with equal jitter.

Before retry ``attempt`` (1-based) a caller waits a random point of ``[d/2, d]`` where
``d = min(cap, base * factor**(attempt - 1))`` ("equal jitter"). Half the ceiling is kept so a
retry never fires at once; the random half spreads callers that failed together (after an
outage) so they do not retry in lockstep. Saga steps and compensations, pipeline task
retries, async tasks, transactions, event reconnects and ``MonoResult.retry`` all use it.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ceiling", "jittered", "retry_delay"]


def ceiling(attempt: int, base: float, cap: float, factor: float = 2.0) -> float:
    """``base * factor**(attempt - 1)`` capped at ``cap``; no jitter (``attempt`` is 1-based)."""
    if base <= 0 or cap <= 0:
        return 0.0
    try:
        return float(min(cap, base * float(factor) ** max(attempt - 1, 0)))
    except OverflowError:  # a huge attempt number: the cap long since applies
        return float(cap)


def jittered(delay: float, spread: float = 0.5, rand: Callable[[], float] | None = None) -> float:
    """A random point of ``[delay * (1 - spread), delay]``; ``spread=0.5`` is equal jitter.

    ``rand`` returns a float in ``[0, 1)`` (default ``random.random``, imported on first retry
    so ``import rfs`` does not pay for it).
    """
    if rand is None:
        import random

        rand = random.random
    return float(delay * (1.0 - spread * rand()))


def retry_delay(
    attempt: int,
    base: float,
    cap: float,
    factor: float = 2.0,
    rand: Callable[[], float] | None = None,
) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): equal jitter over ``ceiling``."""
    return jittered(ceiling(attempt, base, cap, factor), 0.5, rand)
