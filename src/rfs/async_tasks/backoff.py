"""The delay before a task's next attempt: doubling per attempt, capped, jittered."""

from __future__ import annotations

__all__ = ["retry_delay"]


def retry_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): a random point in [d/2, d],
    d = ``base * 2**(attempt-1)`` capped at ``cap`` ("equal jitter": never zero, spread out).
    """
    import random  # here, not at the top: only retries pay for importing it

    delay = min(base * 2 ** (attempt - 1), cap)
    return float(delay / 2 + random.uniform(0, delay / 2))  # nosec B311 # backoff jitter (not for security)
