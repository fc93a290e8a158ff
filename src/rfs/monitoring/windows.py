"""Per-operation sliding windows: for each range ("1m", "5m", "1h", "1d") a ring of time slices,
each with counts, a latency sketch and bounded error tallies.

An observation (``OperationWindows.record``, a ``Pending``) reads the clock once and appends its
latency (and its error, for a failure) to a short buffer of the open 10-second slice. The buffer
is folded into the slice's sketch in one batch when it fills (``PENDING_MAX``), when the slice
closes or when someone reads; a closed 10-second slice is merged once into the coarser rings
and the since-start totals. So memory per operation is fixed by the slice counts, the sketch
and tally caps and ``PENDING_MAX``, whatever the call rate. ``Pending`` is C
(``rfs._speedups.Pending``) where the extension is built, else the Python class below."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable

from rfs.monitoring.entries import error_code_of
from rfs.monitoring.sketch import DEFAULT_ACCURACY, LogSketch

#: range name -> (slice width in seconds, number of slices)
WINDOWS: dict[str, tuple[int, int]] = {
    "1m": (10, 6),
    "5m": (30, 10),
    "1h": (300, 12),
    "1d": (3600, 24),
}
FINE = "1m"
FINE_WIDTH = WINDOWS[FINE][0]  # every coarser width is a multiple of it
MAX_ERROR_KEYS = 32  # distinct error codes / messages kept per slice; the rest count as "other"
OTHER = "other"
PENDING_MAX = 512  # observations buffered before a fold (about 16 KB per busy operation)


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

    def merge(self, other: Slice) -> None:
        """Add ``other``'s observations (a finer slice inside this one)."""
        self.sketch.merge(other.sketch)
        self.failures += other.failures
        for key, n in other.errors.items():
            _tally(self.errors, key, n)
        for key, n in other.messages.items():
            _tally(self.messages, key, n)
        self.memory += other.memory
        self.cpu += other.cpu
        self.resources += other.resources


class PyPending:
    """``record(ok, duration_ms, error=None)`` into a buffer of at most ``capacity`` durations
    (and the errors of the failures); ``since(ok, started, error)`` times from a
    ``time.perf_counter()`` reading; ``take()`` empties the buffer. A record at or after
    ``open_end`` first calls ``on_rotate(now)``; a full buffer calls ``on_full()``. ``clock``
    None is ``time.time``. The pure-Python twin of ``rfs._speedups.Pending`` (same behaviour,
    tested)."""

    __slots__ = (
        "capacity",
        "clock",
        "dropped",
        "failed",
        "on_full",
        "on_rotate",
        "open_end",
        "values",
    )

    def __init__(
        self,
        capacity: int,
        clock: Callable[[], float] | None,
        on_rotate: Callable[[float], object],
        on_full: Callable[[], object],
    ) -> None:
        if not 1 <= capacity <= 4096:
            raise ValueError(f"capacity is 1..4096, got {capacity}")
        self.capacity = capacity
        self.clock = time.time if clock is None else clock
        self.on_rotate = on_rotate
        self.on_full = on_full
        self.open_end = float("-inf")
        self.dropped = 0  # values refused because a fold left the buffer full
        self.values = array("d")
        self.failed: list[object] = []

    def __call__(self, ok: bool, duration_ms: float, error: object | None = None) -> None:
        now = self.clock()
        if now >= self.open_end:
            self.on_rotate(now)
        values = self.values
        if len(values) >= self.capacity:
            self.on_full()
            if len(values) >= self.capacity:
                self.dropped += 1
                return
        if not ok:
            self.failed.append(error)
        values.append(duration_ms)
        if len(values) >= self.capacity:
            self.on_full()

    def since(self, ok: bool, started: float, error: object | None = None) -> None:
        """Record with ``duration_ms = (time.perf_counter() - started) * 1000``."""
        self(ok, (time.perf_counter() - started) * 1000.0, error)

    def __len__(self) -> int:
        return len(self.values)

    def take(self) -> tuple[array[float], list[object]]:
        """The buffered durations and errors, removed. Each slice and ``del`` is one atomic
        operation: an item recorded meanwhile lands past the first n and stays for the next."""
        values, failed = self.values, self.failed
        n, k = len(values), len(failed)
        batch, errors = values[:n], failed[:k]
        del values[:n], failed[:k]
        return batch, errors


#: The recorder buffer in use: ``rfs._speedups.Pending`` when built, else ``PyPending``.
Pending: type[PyPending] = PyPending
if os.environ.get("RFS_PURE_PYTHON") != "1":
    with contextlib.suppress(ImportError):  # no compiler at install time: pure Python
        from rfs._speedups import Pending  # type: ignore[assignment]


class OperationWindows:
    """All windows of one operation. ``record(ok, duration_ms, error=None)`` is its ``Pending``
    buffer, called without the lock; everything else changes under ``lock``."""

    def __init__(
        self, accuracy: float = DEFAULT_ACCURACY, clock: Callable[[], float] = time.time
    ) -> None:
        self.accuracy = accuracy
        self.clock = clock
        self.lock = threading.Lock()
        # slices are made on first use: an operation seen once costs one slice per range
        self.rings: dict[str, list[Slice | None]] = {
            name: [None] * n for name, (_w, n) in WINDOWS.items()
        }
        self._coarse = tuple((w, n, self.rings[name]) for name, (w, n) in WINDOWS.items())[1:]
        self.total = LogSketch(accuracy)  # closed slices since start (see ``totals``)
        self.total_failures = 0
        self.open: Slice | None = None
        # the first observation opens a slice (open_end starts at -inf)
        self.pending = Pending(
            PENDING_MAX, None if clock is time.time else clock, self.rotate, self.fold
        )
        #: ``record(ok, duration_ms, error=None)``: one outcome, a clock read and an append
        self.record: Callable[[bool, float, object | None], None] = self.pending

    # -- writing -----------------------------------------------------------------------------

    def rotate(self, now: float) -> None:
        """Close the open slice (fold, merge into the coarse rings) and open the one of ``now``."""
        with self.lock:
            if now < self.pending.open_end:
                return  # another thread rotated first
            self._fold()
            self._close()
            index = int(now // FINE_WIDTH)
            sl = self._slot(self.rings[FINE], index, FINE_WIDTH)
            self.open = sl
            self.pending.open_end = float((index + 1) * FINE_WIDTH)

    def fold(self) -> None:
        """Fold the pending buffers into the open slice."""
        with self.lock:
            self._fold()

    def _fold(self) -> None:
        sl = self.open
        if sl is None:
            return
        values, errors = self.pending.take()
        if values:
            sl.sketch.add_many(values)
        if errors:
            sl.failures += len(errors)
            for error in errors:
                code = error_code_of(error) or type(error).__name__
                _tally(sl.errors, code)
                message = str(error)[:200] if error is not None else ""
                if message:
                    _tally(sl.messages, message)

    def _close(self) -> None:
        sl = self.open
        if sl is None:
            return
        for width, _n, ring in self._coarse:
            self._slot(ring, int(sl.start // width), width).merge(sl)
        self.total.merge(sl.sketch)
        self.total_failures += sl.failures

    def _slot(self, ring: list[Slice | None], index: int, width: int) -> Slice:
        """The slice of ``ring`` for slice ``index`` (made, or reset when it held an older one)."""
        pos = index % len(ring)
        sl = ring[pos]
        if sl is None:
            sl = ring[pos] = Slice(self.accuracy)
        if sl.index != index:
            sl.reset(index, index * width)
        return sl

    def add_resources(self, now: float, memory_mb: float | None, cpu_percent: float | None) -> None:
        """Record the memory and CPU use of one call at ``now``."""
        if now >= self.pending.open_end:
            self.rotate(now)
        with self.lock:
            if self.open is not None:
                self.open.resources += 1
                self.open.memory += memory_mb or 0.0
                self.open.cpu += cpu_percent or 0.0

    # -- reading (call with ``lock`` held, after ``fold``) -----------------------------------
    def live_slices(self, time_range: str, now: float) -> list[Slice]:
        """The slices of ``time_range`` inside the window at ``now``; for the coarse ranges this
        includes the open 10-second slice, which is merged into them only when it closes."""
        width, n = WINDOWS[time_range]
        current = int(now // width)
        live = [
            s for s in self.rings[time_range] if s is not None and current - n < s.index <= current
        ]
        sl = self.open
        if time_range != FINE and sl is not None and current - n < sl.start // width <= current:
            live.append(sl)
        return live

    def totals(self) -> tuple[LogSketch, int]:
        """A copy of the since-start sketch and failure count (open slice included)."""
        copy = LogSketch(self.accuracy)
        copy.merge(self.total)
        failures = self.total_failures
        if self.open is not None:
            copy.merge(self.open.sketch)
            failures += self.open.failures
        return copy, failures
