"""Per-operation sliding windows: for each range ("1m", "5m", "1h", "1d") a ring of time slices,
each with counts, a latency sketch and bounded error tallies. Memory per operation is fixed by
the slice counts and the sketch/tally caps, whatever the call rate."""

from __future__ import annotations

import threading
from collections import Counter

from rfs.monitoring.sketch import DEFAULT_ACCURACY, LogSketch

#: range name -> (slice width in seconds, number of slices)
WINDOWS: dict[str, tuple[int, int]] = {
    "1m": (10, 6),
    "5m": (30, 10),
    "1h": (300, 12),
    "1d": (3600, 24),
}
MAX_ERROR_KEYS = 32  # distinct error codes / messages kept per slice; the rest count as "other"
OTHER = "other"


def _tally(counter: Counter[str], key: str, n: int = 1) -> None:
    if key in counter or len(counter) < MAX_ERROR_KEYS:
        counter[key] += n
    else:
        counter[OTHER] += n


class Slice:
    """The observations of one time slice."""

    __slots__ = (
        "cpu",
        "errors",
        "failures",
        "index",
        "memory",
        "messages",
        "resources",
        "sketch",
        "start",
    )

    def __init__(self, accuracy: float) -> None:
        self.index = -1
        self.start = 0.0
        self.sketch = LogSketch(accuracy)
        self.failures = 0
        self.errors: Counter[str] = Counter()
        self.messages: Counter[str] = Counter()
        self.memory = 0.0
        self.cpu = 0.0
        self.resources = 0

    def reset(self, index: int, start: float) -> None:
        """Reuse the slice for slice ``index`` starting at ``start``."""
        self.index = index
        self.start = start
        self.sketch.clear()
        self.failures = 0
        self.errors.clear()
        self.messages.clear()
        self.memory = self.cpu = 0.0
        self.resources = 0


class OperationWindows:
    """All windows of one operation; ``observe`` is O(number of ranges)."""

    def __init__(self, accuracy: float = DEFAULT_ACCURACY) -> None:
        self.accuracy = accuracy
        self.lock = threading.Lock()
        self.rings: dict[str, list[Slice]] = {
            name: [Slice(accuracy) for _ in range(n)] for name, (_w, n) in WINDOWS.items()
        }
        self.total = LogSketch(accuracy)  # since start, for Prometheus' cumulative histogram
        self.total_failures = 0

    def observe(
        self,
        now: float,
        duration_ms: float,
        ok: bool,
        error_code: str | None,
        error_message: str | None,
        memory_mb: float | None = None,
        cpu_percent: float | None = None,
    ) -> None:
        """Record one outcome at time ``now`` (seconds)."""
        key = self.total.key(duration_ms) if duration_ms > 0.0 else None
        with self.lock:
            self.total.add(duration_ms, key)
            if not ok:
                self.total_failures += 1
            for name, (width, n) in WINDOWS.items():
                index = int(now // width)
                sl = self.rings[name][index % n]
                if sl.index != index:
                    sl.reset(index, index * width)
                sl.sketch.add(duration_ms, key)
                if not ok:
                    sl.failures += 1
                    _tally(sl.errors, error_code or "unknown")
                    if error_message:
                        _tally(sl.messages, error_message[:200])
                if memory_mb is not None or cpu_percent is not None:
                    sl.resources += 1
                    sl.memory += memory_mb or 0.0
                    sl.cpu += cpu_percent or 0.0

    def live_slices(self, time_range: str, now: float) -> list[Slice]:
        """Copies-free view of the slices of ``time_range`` still inside the window at ``now``."""
        width, n = WINDOWS[time_range]
        current = int(now // width)
        return [s for s in self.rings[time_range] if current - n < s.index <= current]
