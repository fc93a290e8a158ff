"""A mergeable log-bucket quantile sketch (DDSketch's idea): bucket ``i`` holds values in
``(gamma**(i-1), gamma**i]``, so any quantile is returned within ``accuracy`` relative error.
Keys are computed with ``log2`` (a one-argument C function: half the cost of ``log`` in a map).
Memory is bounded: at most ``max_buckets`` buckets (the lowest are merged past that)."""

from __future__ import annotations

import math
import sys
from collections import Counter
from functools import partial
from itertools import repeat
from operator import lt, mul

_positive = partial(lt, 0.0)

DEFAULT_ACCURACY = 0.005  # 0.5% relative error, inside the 1% the monitoring contract asks
DEFAULT_MAX_BUCKETS = 2048  # covers 1 ns .. 1e9 s at 0.5%; 24 bytes-ish per used bucket


class LogSketch:
    """Counts of positive values per logarithmic bucket, plus count, sum, min and max."""

    __slots__ = (
        "_gamma",
        "_inv_log2_gamma",
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
        self.max_buckets = max_buckets
        self.buckets: dict[int, int] = {}
        self.zeros = 0
        self.count = 0
        self.sum = 0.0
        self.min = math.inf
        self.max = 0.0

    def key(self, value: float) -> int:
        """The bucket index of a positive ``value``."""
        return math.ceil(math.log2(value) * self._inv_log2_gamma)

    def add(self, value: float, key: int | None = None) -> None:
        """Record ``value`` (values <= 0 count as zero); ``key`` if already computed."""
        self.count += 1
        self.sum += value
        if value > self.max:
            self.max = value
        if value < self.min:
            self.min = value
        if value <= 0.0:
            self.zeros += 1
            return
        if key is None:
            key = math.ceil(math.log2(value) * self._inv_log2_gamma)
        buckets = self.buckets
        buckets[key] = buckets.get(key, 0) + 1
        if len(buckets) > self.max_buckets:
            self._collapse()

    def add_many(self, values: list[float]) -> None:
        """Record every value of ``values`` (the batch path: the per-value work runs in C)."""
        if not values:
            return
        self.count += len(values)
        self.sum += sum(values)
        high, low = max(values), min(values)
        if high > self.max:
            self.max = high
        if low < self.min:
            self.min = low
        if high <= 0.0:  # all zero (an untimed count): nothing to bucket
            self.zeros += len(values)
            return
        positive = values if low > 0.0 else list(filter(_positive, values))
        self.zeros += len(values) - len(positive)
        scale = repeat(self._inv_log2_gamma)
        try:
            keys = Counter(map(math.ceil, map(mul, map(math.log2, positive), scale)))
        except OverflowError:  # an infinite value: it lands in the highest bucket
            top = math.ceil(math.log2(sys.float_info.max) * self._inv_log2_gamma)
            keys = Counter(self.key(v) if v < math.inf else top for v in positive)
        buckets = self.buckets
        get = buckets.get
        for key, n in keys.items():
            buckets[key] = get(key, 0) + n
        while len(buckets) > self.max_buckets:
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
                value = 2.0 * self._gamma**k / (self._gamma + 1.0)
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
