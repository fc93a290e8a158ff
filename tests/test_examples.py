"""The foundation's examples run and print what they show; ``python -m examples`` runs them all."""

from __future__ import annotations

from _examples import run_example


def test_results_basics_example_runs() -> None:
    """Parsing, stock checks, match and the first-failure-wins helpers print their outcomes."""
    out = run_example("results_basics")
    assert "'3' -> total 1.50" in out
    assert "'12' -> refused: only 10 in stock, asked 12" in out
    assert "'three' -> refused: not a quantity: 'three'" in out
    assert "prices: Success([0.5, 0.75])" in out
    assert "unknown sku: Failure(KeyError 'kiwi')" in out
