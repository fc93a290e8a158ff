"""A mergeable log-bucket quantile sketch (DDSketch's idea): bucket ``i`` holds values in
``(gamma**(i-1), gamma**i]``, so any quantile is returned within ``accuracy`` relative error.
Keys are computed with ``log2`` (a one-argument C function: half the cost of ``log`` in a map).
Memory is bounded: at most ``max_buckets`` buckets (the lowest are merged past that)."""

from __future__ import annotations

import contextlib
import math
import os
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from itertools import repeat
from operator import lt, mul

_positive = partial(lt, 0.0)


_fold_doubles: Callable[..., tuple[int, float, float, float, int]] | None = None
if os.environ.get("RFS_PURE_PYTHON") != "1":
    with contextlib.suppress(ImportError):  # no compiler at install time: ``fold_values``
        from rfs._speedups import fold_doubles as _fold_doubles


def fold_values(
    buckets: dict[int, int], values: Sequence[float], inv_log2_gamma: float, top: int
) -> tuple[int, float, float, float, int]:
    """Add the bucket ``ceil(log2(v) * inv_log2_gamma)`` of each positive value (``top`` for
    +inf) to ``buckets``; return ``(count, sum, min, max, zeros)`` of ``values``. A value <= 0
    counts as a zero; a NaN counts as a zero and is left out of sum, min and max. The pure-Python
    twin of ``rfs._speedups.fold_doubles`` (same results, tested)."""
    total = sum(values)  # NaN when a value is NaN (or when +inf meets -inf)
    if total != total and not all(map(_is_number, values)):
        numbers: Sequence[float] = list(filter(_is_number, values))
        total = sum(numbers)
    else:
        numbers = values
    positive = numbers if numbers and min(numbers) > 0.0 else list(filter(_positive, numbers))
    finite = (
        positive if not positive or max(positive) < math.inf else list(filter(_finite, positive))
    )
    keys = Counter(map(math.ceil, map(mul, map(math.log2, finite), repeat(inv_log2_gamma))))
    if len(finite) < len(positive):
        keys[top] += len(positive) - len(finite)
    get = buckets.get
    for key, n in keys.items():
        buckets[key] = get(key, 0) + n
    low = min(numbers, default=math.inf)
    high = max(numbers, default=-math.inf)
    return len(values), float(total), low, high, len(values) - len(positive)


def _is_number(value: float) -> bool:
    return value == value  # False for NaN only


def _finite(value: float) -> bool:
    return value < math.inf


DEFAULT_ACCURACY = 0.005  # 0.5% relative error, inside the 1% the monitoring contract asks
DEFAULT_MAX_BUCKETS = 2048  # covers 1 ns .. 1e9 s at 0.5%; 24 bytes-ish per used bucket


class LogSketch:
    """Counts of positive values per logarithmic bucket, plus count, sum, min and max."""

    __slots__ = (
        "_gamma",
        "_inv_log2_gamma",
        "_top",
        "accuracy",
        "buckets",
        "count",
        "max",
        "max_buckets",
        "min",
        "sum",
        "zeros",
    )

    def __init__(
        self, accuracy: float = DEFAULT_ACCURACY, max_buckets: int = DEFAULT_MAX_BUCKETS
    ) -> None:
        if not 0.0 < accuracy < 1.0:
            raise ValueError(f"accuracy is a fraction in (0, 1), got {accuracy!r}")
        self.accuracy = accuracy
        self._gamma = (1.0 + accuracy) / (1.0 - accuracy)
        self._inv_log2_gamma = 1.0 / math.log2(self._gamma)
        self._top = math.ceil(math.log2(sys.float_info.max) * self._inv_log2_gamma)  # for +inf
        self.max_buckets = max_buckets
        self.buckets: dict[int, int] = {}
        self.zeros = 0
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = 0.0

    def key(self, value: float) -> int:
        """The bucket index of a positive ``value`` (+inf lands in the highest bucket)."""
        if value < math.inf:
            return math.ceil(math.log2(value) * self._inv_log2_gamma)
        return self._top

    def add(self, value: float, key: int | None = None) -> None:
        """Record ``value`` (values <= 0 count as zero, a NaN as a zero left out of the sum,
        min and max); ``key`` if already computed."""
        self.count += 1
        if value != value:
            self.zeros += 1
            return
        self.sum += value
        if value > self.max:
            self.max = value
        if value < self.min:
            self.min = value
        if not value > 0.0:
            self.zeros += 1
            return
        if key is None:
            key = self.key(value)
        buckets = self.buckets
        buckets[key] = buckets.get(key, 0) + 1
        if len(buckets) > self.max_buckets:
            self._collapse()

    def add_many(self, values: Sequence[float]) -> None:
        """Record every value of ``values`` (the batch path: an ``array('d')`` is folded in C
        where the extension is built, anything else by ``fold_values``)."""
        if not values:
            return
        if _fold_doubles is not None and type(values) is array:
            stats = _fold_doubles(self.buckets, values, self._inv_log2_gamma, self._top)
        else:
            stats = fold_values(self.buckets, values, self._inv_log2_gamma, self._top)
        count, total, low, high, zeros = stats
        self.count += count
        self.sum += total
        self.zeros += zeros
        if high > self.max:
            self.max = high
        if low < self.min:
            self.min = low
        while len(self.buckets) > self.max_buckets:
            self._collapse()

    def _collapse(self) -> None:
        keys = sorted(self.buckets)
        low, nxt = keys[0], keys[1]
        self.buckets[nxt] += self.buckets.pop(low)

    def merge(self, other: LogSketch) -> None:
        """Add ``other``'s counts (same accuracy) into this sketch."""
        for k, n in other.buckets.items():
            self.buckets[k] = self.buckets.get(k, 0) + n
        while len(self.buckets) > self.max_buckets:
            self._collapse()
        self.zeros += other.zeros
        self.count += other.count
        self.sum += other.sum
        self.max = max(self.max, other.max)
        self.min = min(self.min, other.min)

    def quantile(self, q: float) -> float:
        """The value at quantile ``q`` (0..1), 0.0 for an empty sketch."""
        if self.count == 0:
            return 0.0
        rank = q * (self.count - 1)
        if rank < self.zeros:
            return 0.0
        seen = self.zeros
        for k in sorted(self.buckets):
            seen += self.buckets[k]
            if seen > rank:
                try:
                    value = 2.0 * self._gamma**k / (self._gamma + 1.0)
                except OverflowError:  # the bucket of values near float max (or +inf)
                    return self.max
                return min(max(value, self.min), self.max)
        return self.max

    def quantiles(self, qs: tuple[float, ...]) -> list[float]:
        """Several quantiles in one pass over the buckets."""
        return [self.quantile(q) for q in qs]

    def clear(self) -> None:
        """Forget everything recorded."""
        self.buckets.clear()
        self.zeros = self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = 0.0
