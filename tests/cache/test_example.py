"""The cache example runs and prints what it shows."""

from __future__ import annotations

from _examples import run_example


def test_cache_basics_example_runs() -> None:
    """Single-flight, fail-safe, warming, invalidation and LocalMemory print their outcomes."""
    out = run_example("cache_basics")
    assert "100 concurrent calls -> 1 load" in out
    assert "missing user: Failure(no user u9) (not cached)" in out
    assert "database down, stale served: Success({'name': 'Kim'" in out
    assert "tag 'users' dropped 2 entries" in out
    assert "LocalMemory: notes [1, 3, 5], timestamps 3..5 [3, 4, 5]" in out
