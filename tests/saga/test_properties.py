"""Property tests: whatever the steps do, a saga ends in the state its steps' outcomes imply."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.result import Failure, Result, Success
from rfs.saga import (
    ExecutionRecord,
    MemorySagaLog,
    Saga,
    SagaRegistry,
    SagaStatus,
    StepContext,
)
from rfs.saga.declared import error_from_record

# Each step: does its action succeed, and how many times does its compensation fail first?
steps = st.lists(
    st.tuples(st.booleans(), st.integers(min_value=0, max_value=3), st.booleans()),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(steps, st.integers(min_value=0, max_value=2))
def test_outcome_matches_the_steps(plan: list[tuple[bool, int, bool]], retries: int) -> None:
    """Completed iff every action succeeds; else exactly the completed steps are undone,
    last first, and a compensation failing more often than its retries is reported."""
    calls: list[str] = []
    comp_failures = {i: fails for i, (_, fails, _) in enumerate(plan)}

    def action(i: int, ok: bool, raises: bool) -> Any:
        def run(ctx: object) -> Result[int, str]:
            calls.append(f"do{i}")
            if ok:
                return Success(i)
            if raises:
                raise RuntimeError(f"step {i} raised")
            return Failure(f"step {i} failed")

        return run

    def compensation(i: int) -> Any:
        def undo(ctx: object, step: StepContext) -> Result[None, str]:
            calls.append(f"undo{i}")
            return Failure("not yet") if step.attempt <= comp_failures[i] else Success(None)

        return undo

    log = MemorySagaLog()
    saga = Saga(
        "prop",
        registry=SagaRegistry(),
        log=log,
        compensation_retries=retries,
        retry_backoff=0,
    )
    for i, (ok, _, raises) in enumerate(plan):
        saga.add_step(f"s{i}", action(i, ok, raises), compensation(i))
    result = asyncio.run(saga.execute({}))

    first_failure = next((i for i, (ok, _, _) in enumerate(plan) if not ok), None)
    if first_failure is None:
        assert result.is_success()
        assert calls == [f"do{i}" for i in range(len(plan))]
        return
    assert isinstance(result, Failure)
    error = result.error
    done = list(range(first_failure))
    assert error.step == f"s{first_failure}"
    assert calls[: first_failure + 1] == [f"do{i}" for i in range(first_failure + 1)]
    undo_calls = calls[first_failure + 1 :]
    expected_calls = [
        f"undo{i}" for i in reversed(done) for _ in range(min(comp_failures[i], retries) + 1)
    ]
    assert undo_calls == expected_calls
    stuck = [f"s{i}" for i in reversed(done) if comp_failures[i] > retries]
    assert [f.step for f in error.failed_compensations] == stuck
    assert error.compensated == tuple(
        f"s{i}" for i in reversed(done) if comp_failures[i] <= retries
    )
    assert error.status is (SagaStatus.FAILED if stuck else SagaStatus.COMPENSATED)
    # The log alone tells the same story (what a repeated execute or `rfs saga show` sees).
    record = asyncio.run(log.load(error.execution_id))
    assert isinstance(record, ExecutionRecord)
    logged = error_from_record(saga.name, saga.steps, record)
    assert (logged.step, logged.status, logged.compensated) == (
        error.step,
        error.status,
        error.compensated,
    )
    assert [(f.step, f.attempts) for f in logged.failed_compensations] == [
        (f.step, f.attempts) for f in error.failed_compensations
    ]
