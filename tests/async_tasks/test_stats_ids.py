"""The percentile window and the id source."""

from __future__ import annotations

import math
import os
import uuid

from hypothesis import given
from hypothesis import strategies as st

from rfs.async_tasks.ids import new_id
from rfs.async_tasks.stats import Samples


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300), st.floats(0, 100))
def test_percentile_is_nearest_rank(values: list[float], p: float) -> None:
    """The p-th percentile is the nearest-rank element of the sorted window."""
    samples = Samples(size=1000)
    for v in values:
        samples.add(v)
    ordered = sorted(values)
    expected = ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
    assert samples.percentile(p) == expected


def test_window_is_bounded_to_the_latest_samples() -> None:
    """Only the last ``size`` samples count."""
    samples = Samples(size=10)
    for v in range(1000):
        samples.add(float(v))
    assert samples.percentile(0) == 990.0 and samples.percentile(100) == 999.0
    assert Samples().percentile(50) is None


def test_ids_are_uuid4_and_differ_after_fork() -> None:
    """Ids parse as uuid4; a forked child does not repeat the parent's next ids."""
    assert all(uuid.UUID(new_id()).version == 4 for _ in range(600))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, new_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert child != new_id()
