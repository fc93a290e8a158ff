"""Saga definitions and executions on the in-memory log."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rfs.result import Failure, Result, Success
from rfs.saga import (
    MemorySagaLog,
    Saga,
    SagaDefinitionError,
    SagaError,
    SagaRegistry,
    SagaStatus,
    StepContext,
    current_step,
)


@pytest.fixture
def registry() -> SagaRegistry:
    return SagaRegistry()


@pytest.fixture
def log() -> MemorySagaLog:
    return MemorySagaLog()


def make(name: str, registry: SagaRegistry, log: MemorySagaLog, **kw: Any) -> Saga:
    return Saga(name, registry=registry, log=log, retry_backoff=0.001, **kw)


async def test_seed_example_runs_unchanged() -> None:
    """The seed's Saga example (async actions taking the order, returning Results) runs as is."""
    calls: list[str] = []

    async def reserve_inventory(order: dict[str, Any]) -> Result[Any, str]:
        calls.append("reserve")
        return Success(order)

    async def release_inventory(order: dict[str, Any]) -> Result[None, str]:
        calls.append("release")
        return Success(None)

    async def charge_card(order: dict[str, Any]) -> Result[Any, str]:
        calls.append("charge")
        return Failure("card declined")

    async def refund_payment(order: dict[str, Any]) -> Result[None, str]:
        calls.append("refund")
        return Success(None)

    saga = Saga("OrderProcessing")
    saga.add_step(name="reserve_inventory", action=reserve_inventory, compensate=release_inventory)
    saga.add_step(name="charge_payment", action=charge_card, compensate=refund_payment)
    result = await saga.execute({"order_id": 1})
    assert result.is_failure()
    assert str(result.error) == "Saga failed at charge_payment: card declined"
    assert calls == ["reserve", "charge", "release"]


async def test_success_returns_the_context(registry: SagaRegistry, log: MemorySagaLog) -> None:
    """All steps succeeding gives Success(context), with each step's changes to it."""
    saga = make("ok", registry, log)
    saga.add_step("a", lambda ctx: ctx.update(a=1), None)
    saga.add_step("b", lambda ctx: Success(ctx.update(b=2)), None)
    assert await saga.execute({}) == Success({"a": 1, "b": 2})


async def test_compensates_completed_steps_in_reverse(
    registry: SagaRegistry, log: MemorySagaLog
) -> None:
    """A failing step undoes the completed steps, last first, and not itself."""
    undone: list[str] = []
    saga = make("rev", registry, log)
    for name in ("a", "b", "c"):
        saga.add_step(name, lambda ctx: Success(None), lambda ctx, n=name: undone.append(n))
    saga.add_step("d", lambda ctx: Failure("no"), lambda ctx: undone.append("d"))
    result = await saga.execute({})
    assert isinstance(result, Failure)
    assert undone == ["c", "b", "a"]
    assert result.error.compensated == ("c", "b", "a")
    assert result.error.status is SagaStatus.COMPENSATED
    assert result.error.fully_compensated


async def test_exception_counts_as_failure(registry: SagaRegistry, log: MemorySagaLog) -> None:
    """An action raising is a Failure whose cause is the exception; nothing propagates."""
    saga = make("exc", registry, log)
    saga.add_step("a", lambda ctx: None, None)

    async def boom(ctx: object) -> None:
        raise ValueError("bad")

    saga.add_step("b", boom, None)
    result = await saga.execute(None)
    assert isinstance(result, Failure)
    assert isinstance(result.error.cause, ValueError)
    assert result.error.step == "b"


async def test_failing_compensation_is_retried_then_reported(
    registry: SagaRegistry, log: MemorySagaLog
) -> None:
    """A compensation failing every time is retried and named in the Result and the log."""
    attempts: list[int] = []

    def stubborn(ctx: object, step: StepContext) -> Result[None, str]:
        attempts.append(step.attempt)
        return Failure("refund service down")

    saga = make("stubborn", registry, log, compensation_retries=2)
    saga.add_step("charge", lambda ctx: None, stubborn)
    saga.add_step("ship", lambda ctx: None, lambda ctx: None)
    saga.add_step("notify", lambda ctx: Failure("smtp"), None)
    result = await saga.execute({})
    assert isinstance(result, Failure)
    error: SagaError = result.error
    assert attempts == [1, 2, 3]
    assert error.status is SagaStatus.FAILED
    assert [f.step for f in error.failed_compensations] == ["charge"]
    assert error.failed_compensations[0].attempts == 3
    assert error.compensated == ("ship",)
    assert "compensations failed: charge" in str(error)
    record = await log.load(error.execution_id)
    assert record is not None and record.status is SagaStatus.FAILED
    assert "refund service down" in (record.error or "")


async def test_compensation_succeeding_on_retry(registry: SagaRegistry, log: MemorySagaLog) -> None:
    """A compensation that fails once then succeeds leaves the saga fully compensated."""
    tries = iter([Failure("flaky"), Success(None)])
    saga = make("flaky", registry, log)
    saga.add_step("a", lambda ctx: None, lambda ctx: next(tries))
    saga.add_step("b", lambda ctx: Failure("no"), None)
    result = await saga.execute({})
    assert isinstance(result, Failure)
    assert result.error.status is SagaStatus.COMPENSATED


async def test_step_retries_keep_the_idempotency_key(
    registry: SagaRegistry, log: MemorySagaLog
) -> None:
    """Retried attempts see increasing attempt numbers and one idempotency key."""
    seen: list[tuple[int, str]] = []

    def flaky(ctx: object, step: StepContext) -> Result[str, str]:
        seen.append((step.attempt, step.idempotency_key))
        return Success("ok") if step.attempt == 3 else Failure("busy")

    saga = make("retry", registry, log)
    saga.add_step("a", flaky, None, retries=2)
    result = await saga.execute({}, execution_id="exec-1")
    assert result.is_success()
    assert seen == [(1, "exec-1:a"), (2, "exec-1:a"), (3, "exec-1:a")]


async def test_retries_exhausted_fail_the_step(registry: SagaRegistry, log: MemorySagaLog) -> None:
    """After ``retries`` more attempts the step fails with its last error."""
    calls: list[int] = []
    saga = make("exhaust", registry, log)
    saga.add_step("a", lambda ctx: calls.append(1) or Failure("still busy"), None, retries=1)
    result = await saga.execute({})
    assert isinstance(result, Failure)
    assert result.error.cause == "still busy"
    assert len(calls) == 2


async def test_timeout_fails_a_slow_async_step(registry: SagaRegistry, log: MemorySagaLog) -> None:
    """An async action past its timeout is cancelled and fails the step."""
    cancelled = asyncio.Event()

    async def slow(ctx: object) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    saga = make("timeout", registry, log)
    saga.add_step("slow", slow, None, timeout=0.05)
    result = await saga.execute({})
    assert isinstance(result, Failure)
    assert isinstance(result.error.cause, TimeoutError)
    assert cancelled.is_set()


async def test_timeout_on_a_sync_step(registry: SagaRegistry, log: MemorySagaLog) -> None:
    """A sync action with a timeout runs in a thread and fails the step when late."""
    import threading

    release = threading.Event()
    saga = make("sync-timeout", registry, log)
    saga.add_step("slow", lambda ctx: release.wait(5), None, timeout=0.05)
    result = await saga.execute({})
    release.set()
    assert isinstance(result, Failure)
    assert isinstance(result.error.cause, TimeoutError)


async def test_calling_conventions(registry: SagaRegistry, log: MemorySagaLog) -> None:
    """Steps may take no argument, the context, or the context and the step context."""
    got: list[object] = []
    saga = make("conventions", registry, log)
    saga.add_step("none", lambda: got.append("none"), None)
    saga.add_step("ctx", lambda ctx: got.append(ctx["k"]), None)
    saga.add_step("both", lambda ctx, step: got.append(step.step), None)
    saga.add_step("var", lambda *args: got.append(len(args)), None)
    saga.add_step("current", lambda: got.append(current_step().step), None)  # type: ignore[union-attr]
    assert (await saga.execute({"k": "v"})).is_success()
    assert got == ["none", "v", "both", 2, "current"]
    assert current_step() is None


async def test_concurrent_executions_are_independent(
    registry: SagaRegistry, log: MemorySagaLog
) -> None:
    """Executions of one definition running at once keep their own state and compensations."""
    undone: list[int] = []

    async def act(ctx: dict[str, int]) -> Result[None, str]:
        await asyncio.sleep(0.001)
        return Failure("odd") if ctx["n"] % 2 else Success(None)

    async def undo(ctx: dict[str, int]) -> None:
        undone.append(ctx["n"])

    saga = make("concurrent", registry, log)
    saga.add_step("first", lambda ctx: None, undo)
    saga.add_step("second", act, None)
    results = await asyncio.gather(*(saga.execute({"n": n}) for n in range(20)))
    assert [r.is_success() for r in results] == [n % 2 == 0 for n in range(20)]
    assert sorted(undone) == list(range(1, 20, 2))
    ids = {r.error.execution_id for r in results if isinstance(r, Failure)}
    assert len(ids) == 10


async def test_reusing_an_execution_id_returns_the_first_outcome(
    registry: SagaRegistry, log: MemorySagaLog
) -> None:
    """``execute`` again with a logged id returns that execution's outcome without rerunning."""
    calls: list[int] = []
    saga = make("dup", registry, log)
    saga.add_step("a", lambda ctx: calls.append(1), None)
    assert (await saga.execute({"n": 1}, execution_id="x")).is_success()
    assert await saga.execute({"n": 2}, execution_id="x") == Success({"n": 1})
    assert calls == [1]

    other = make("other", registry, log)
    other.add_step("a", lambda ctx: calls.append(2), None)
    taken = await other.execute({}, execution_id="x")
    assert isinstance(taken, Failure)
    assert "already used by saga 'dup'" in str(taken.error.cause)
    assert calls == [1]


async def test_step_decorator(registry: SagaRegistry, log: MemorySagaLog) -> None:
    """``@saga.step(compensate=...)`` adds a step named after the function."""
    saga = make("decorated", registry, log)

    @saga.step(compensate=lambda ctx: None)
    def reserve(ctx: dict[str, int]) -> None:
        ctx["reserved"] = 1

    assert [s.name for s in saga.steps] == ["reserve"]
    assert await saga.execute({}) == Success({"reserved": 1})


def test_bad_definitions_raise_with_a_message(registry: SagaRegistry) -> None:
    """Duplicate step names, non-callables and bad retries/timeouts are programmer errors."""
    saga = Saga("bad", registry=registry)
    saga.add_step("a", lambda ctx: None)
    with pytest.raises(SagaDefinitionError, match="already has a step named 'a'"):
        saga.add_step("a", lambda ctx: None)
    with pytest.raises(SagaDefinitionError, match="action must be callable"):
        saga.add_step("b", "not a function")  # type: ignore[arg-type]
    with pytest.raises(SagaDefinitionError, match="compensate must be callable"):
        saga.add_step("c", lambda ctx: None, 42)  # type: ignore[arg-type]
    with pytest.raises(SagaDefinitionError, match="retries"):
        saga.add_step("d", lambda ctx: None, retries=-1)
    with pytest.raises(SagaDefinitionError, match="non-empty name"):
        Saga("", registry=registry)


def test_registry_finds_sagas_by_name(registry: SagaRegistry) -> None:
    """A saga joins its registry under its name; a redefinition replaces it."""
    first = Saga("orders", registry=registry)
    assert registry.get("orders") is first
    second = Saga("orders", registry=registry)
    assert registry.get("orders") is second
    assert registry.names() == ["orders"]


async def test_memory_log_keeps_a_bounded_history(registry: SagaRegistry) -> None:
    """The in-memory log forgets the oldest finished executions past ``keep``."""
    log = MemorySagaLog(keep=3)
    saga = Saga("bounded", registry=registry, log=log)
    saga.add_step("a", lambda ctx: None)
    for n in range(5):
        await saga.execute({}, execution_id=f"e{n}")
    assert [r.id for r in await log.list()] == ["e4", "e3", "e2"]


async def test_configure_sets_the_default_log(
    registry: SagaRegistry, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """``configure`` (or ``RFS_SAGA_LOG_URL``) picks the log of sagas that have none."""
    from rfs.saga import SagaLog, configure, default_log

    mine = MemorySagaLog()
    saga = Saga("configured", registry=registry)
    saga.add_step("a", lambda ctx: None)
    try:
        configure(mine)
        await saga.execute({}, execution_id="c1")
        assert await mine.load("c1") is not None
        configure(None)
        monkeypatch.setenv("RFS_SAGA_LOG_URL", f"sqlite:///{tmp_path / 'env.db'}")
        log = default_log()
        assert isinstance(log, SagaLog)
        await saga.execute({}, execution_id="c2")
        assert await log.load("c2") is not None
        await log.close()
    finally:
        configure(None)
