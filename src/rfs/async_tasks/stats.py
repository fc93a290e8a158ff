"""Queue statistics (seed 000's ``/tasks/queue/stats``) over a bounded window of samples,
and the report of a shutdown."""

from __future__ import annotations

import math
from collections import deque
from typing import Any, NamedTuple

__all__ = ["QueueStats", "Samples", "ShutdownReport"]


class Samples:
    """The last ``size`` durations, for percentiles in bounded memory."""

    __slots__ = ("_values",)

    def __init__(self, size: int = 2048) -> None:
        self._values: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self._values.append(seconds)

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile ``p`` (0..100) of the window, ``None`` when empty."""
        if not self._values:
            return None
        ordered = sorted(self._values)
        rank = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
        return ordered[rank]


class QueueStats(NamedTuple):
    """Counts now (``queued``, ``running``) and since start (the rest); times in seconds.

    Percentiles cover the most recent tasks (a bounded window), ``None`` before any sample.
    """

    queued: int
    running: int
    completed: int
    failed: int
    cancelled: int
    submitted: int
    retried: int
    max_workers: int
    wait_p50: float | None
    wait_p99: float | None
    run_p50: float | None
    run_p99: float | None

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


class ShutdownReport(NamedTuple):
    """What ``shutdown`` left behind: ids cancelled, ids that ignored cancellation, ids unfinished.

    ``ignored_cancel`` tasks were cancelled but did not stop within the timeout (blocking sync
    code, or a coroutine swallowing ``CancelledError``): they may still be running.
    ``unfinished`` tasks were still queued or running when ``shutdown(wait=True)`` timed out.
    """

    cancelled: tuple[str, ...] = ()
    ignored_cancel: tuple[str, ...] = ()
    unfinished: tuple[str, ...] = ()
