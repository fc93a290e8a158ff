"""The transactions_basics example runs and prints what each call did."""

from __future__ import annotations

from _examples import run_example


def test_transactions_basics_example_runs() -> None:
    """Commit, Failure rollback, savepoint rollback, timeout and the final balances print."""
    out = run_example("transactions_basics")
    assert "transfer 30    -> Success(70)" in out
    assert "transfer 500   -> Failure(ann cannot cover 500)" in out
    assert "pay with bonus -> Success(35)" in out
    assert "stuck          -> Failure(TransactionTimeoutError)" in out
    assert "balances       -> {'ann': 70, 'bob': 35}" in out
