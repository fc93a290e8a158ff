"""The metrics recorder's two implementations (C ``rfs._speedups.Pending``/``fold_doubles`` and
the pure-Python ``PyPending``/``fold_values``) behave the same, and neither lets bad input or a
failing callback corrupt its buffer."""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.monitoring import ResultMetricsCollector, hook
from rfs.monitoring.sketch import LogSketch, fold_values
from rfs.monitoring.windows import PyPending

try:
    from rfs import _speedups
except ImportError:  # pragma: no cover - the C extension is built in CI
    _speedups = None  # type: ignore[assignment]

C_BUILT = _speedups is not None and os.environ.get("RFS_PURE_PYTHON") != "1"
needs_c = pytest.mark.skipif(not C_BUILT, reason="the C extension is not built here")

floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-6, max_value=1e6),  # the usual latencies, often
    st.sampled_from([0.0, -0.0, 5e-324, 1.0]),
)


ACCURACY = LogSketch().accuracy
INV_LOG2_GAMMA = 1.0 / math.log2((1.0 + ACCURACY) / (1.0 - ACCURACY))


def _same_stats(a: tuple[Any, ...], b: tuple[Any, ...]) -> None:
    assert (a[0], a[4]) == (b[0], b[4])  # count, zeros
    for x, y in zip(a[1:4], b[1:4], strict=True):  # sum, min, max
        assert x == y or (math.isnan(x) and math.isnan(y))


@needs_c
@settings(max_examples=300)
@given(st.lists(floats, max_size=600), st.dictionaries(st.integers(-3000, 3000), st.integers(1, 9)))
def test_c_fold_equals_the_python_fold(values: list[float], start: dict[int, int]) -> None:
    """Any doubles (NaN, infinities, negatives, subnormals) give the same buckets and stats."""
    c_buckets, py_buckets = dict(start), dict(start)
    c_stats = _speedups.fold_doubles(c_buckets, array("d", values), INV_LOG2_GAMMA, 99999)
    py_stats = fold_values(py_buckets, values, INV_LOG2_GAMMA, 99999)
    assert c_buckets == py_buckets
    _same_stats(c_stats, py_stats)


@given(st.lists(st.floats(min_value=1e-3, max_value=1e7), min_size=1, max_size=300))
def test_batch_fold_equals_one_add_per_value(values: list[float]) -> None:
    """``add_many`` of an array gives the buckets and count of one ``add`` per value."""
    batch, single = LogSketch(), LogSketch()
    batch.add_many(array("d", values))
    for v in values:
        single.add(v)
    assert batch.buckets == single.buckets
    assert (batch.count, batch.min, batch.max) == (single.count, single.min, single.max)


def test_nan_and_infinite_durations_never_break_the_windows() -> None:
    """A NaN counts as a zero, +inf lands in the top bucket; percentiles stay finite."""
    c = ResultMetricsCollector()
    for v in [1.0, 2.0, float("nan"), float("inf"), -5.0, 3.0] * 200:
        c.observe("odd", True, v)
    m = c.snapshot("odd", "1m").unwrap()
    assert m.total_requests == 1200
    assert m.p50_response_time_ms == pytest.approx(1.0, rel=0.01)
    assert not math.isnan(m.p90_response_time_ms)


class Script:
    """Drives a Pending with an injected clock and logs every callback it makes."""

    def __init__(self, make: Callable[..., Any], capacity: int) -> None:
        self.now = 100.0
        self.calls: list[tuple[str, Any]] = []
        self.taken: list[tuple[list[float], list[object]]] = []
        self.pending = make(capacity, lambda: self.now, self.rotate, self.full)

    def rotate(self, now: float) -> None:
        self.calls.append(("rotate", now))
        self.pending.open_end = math.floor(now / 10) * 10 + 10.0
        self.take()

    def full(self) -> None:
        self.calls.append(("full", len(self.pending)))
        self.take()

    def take(self) -> None:
        values, errors = self.pending.take()
        self.taken.append((list(values), list(errors)))


steps = st.lists(
    st.tuples(st.booleans(), st.floats(0, 1e4), st.floats(0, 25), st.sampled_from(["e1", "e2"])),
    max_size=120,
)


@needs_c
@settings(max_examples=200)
@given(steps, st.integers(1, 8))
def test_c_pending_behaves_like_the_python_pending(
    script: list[tuple[bool, float, float, str]], capacity: int
) -> None:
    """The same records at the same times make the same callbacks and hand out the same batches."""
    runs = [Script(_speedups.Pending, capacity), Script(PyPending, capacity)]
    for run in runs:
        for ok, duration, advance, error in script:
            run.now += advance
            run.pending(ok, duration, error)
        run.take()
    c, py = runs
    assert c.calls == py.calls and c.taken == py.taken
    assert c.pending.dropped == py.pending.dropped == 0


@pytest.mark.parametrize("make", [PyPending, *([_speedups.Pending] if C_BUILT else [])])
def test_a_failing_fold_drops_values_instead_of_overflowing(make: Callable[..., Any]) -> None:
    """When the fold callback raises, the record raises and the buffer keeps what it had; when
    a fold leaves the buffer full, later records are dropped and counted. Nothing is ever
    written past the buffer."""

    def broken() -> None:
        raise RuntimeError("fold failed")

    pending = make(2, lambda: 1.0, lambda now: setattr(pending, "open_end", 1e9), broken)
    pending(True, 1.0)
    with pytest.raises(RuntimeError, match="fold failed"):
        pending(True, 2.0)  # fills the buffer, then the fold raises
    with pytest.raises(RuntimeError):
        pending(True, 3.0)  # full: the fold is retried first and raises again
    assert len(pending) == 2
    values, _ = pending.take()
    assert list(values) == [1.0, 2.0]

    lazy = make(2, lambda: 1.0, lambda now: setattr(lazy, "open_end", 1e9), lambda: None)
    for v in (1.0, 2.0, 3.0, 4.0):
        lazy(False, v, v)
    values, errors = lazy.take()
    assert (list(values), errors, lazy.dropped) == ([1.0, 2.0], [1.0, 2.0], 2)


@pytest.mark.parametrize("make", [PyPending, *([_speedups.Pending] if C_BUILT else [])])
def test_bad_arguments_are_refused(make: Callable[..., Any]) -> None:
    """Wrong argument counts, non-numbers and bad capacities raise TypeError / ValueError."""
    pending = make(4, None, lambda now: None, lambda: None)
    with pytest.raises(TypeError):
        pending(True)
    with pytest.raises(TypeError):
        pending(True, "slow")
    with pytest.raises(ValueError, match="capacity"):
        make(0, None, lambda now: None, lambda: None)
    assert len(pending) == 0


def test_a_site_resolves_again_after_each_install() -> None:
    """A Site records into whichever hub is installed, through ``record`` and ``since``, also
    for a sink that has only ``observe``; with monitoring off it records nothing."""
    seen: list[tuple[str, bool, float]] = []

    class ObserveOnly:
        def observe(
            self, operation: str, ok: bool, ms: float, error: object = None, sub: str = "app"
        ) -> None:
            seen.append((operation, ok, ms))

    site = hook.Site("site.op", "tests")
    first, second = ResultMetricsCollector(), ObserveOnly()
    try:
        hook.install(hook.MonitorHub([first]))
        site.record(True, 5.0)
        site.since(False, hook.perf_counter() - 0.002, ValueError("x"))
        hook.install(hook.MonitorHub([second]))
        site.record(True, 7.0)
        site.since(True, hook.perf_counter() - 0.003)
    finally:
        hook.install(None)
    site.record(True, 9.0)  # off: a no-op
    m = first.snapshot("site.op", "1m").unwrap()
    assert (m.total_requests, m.failed_requests) == (2, 1)
    assert m.max_response_time_ms >= 2.0
    assert [(op, ok) for op, ok, _ in seen] == [("site.op", True), ("site.op", True)]
    assert seen[0][2] == 7.0 and seen[1][2] >= 3.0
