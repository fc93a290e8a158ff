"""MonoResult: laziness, re-awaiting, steps, timeout, retry, cache, logging."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.reactive import MonoResult, OperationTimeoutError
from rfs.result import Failure, Result, Success
from rfs.testing import RecordingSleep


class Counter:
    """An async Result source counting its calls."""

    def __init__(self, *results: Result[Any, Any]) -> None:
        self.calls = 0
        self.results = list(results) or [Success(1)]

    async def __call__(self) -> Result[Any, Any]:
        self.calls += 1
        return self.results[min(self.calls, len(self.results)) - 1]


# Constructors and laziness.


async def test_constructors_yield_their_result() -> None:
    """from_value, from_error, from_result and from_async_result produce the expected Result."""
    assert await MonoResult.from_value(1) == Success(1)
    assert await MonoResult.from_error("e") == Failure("e")
    assert await MonoResult.from_result(Success(2)).to_result() == Success(2)
    assert await MonoResult.from_async_result(Counter(Success(3))) == Success(3)
    assert await MonoResult(Counter(Failure("v4"))) == Failure("v4")


async def test_nothing_runs_before_await() -> None:
    """Building a pipeline calls neither the source nor any step."""
    source = Counter()
    seen: list[str] = []
    mono = (
        MonoResult.from_async_result(source)
        .map(lambda v: seen.append("map"))
        .tap(lambda v: seen.append("tap"))
        .timeout(1)
        .retry(2)
        .cache()
    )
    coroutine = mono.to_result()
    assert source.calls == 0 and seen == []
    await coroutine
    assert source.calls == 1 and seen == ["map", "tap"]


async def test_each_await_runs_the_pipeline_again() -> None:
    """Awaiting the same Mono twice runs the source and steps twice."""
    source = Counter(Success(1), Success(2))
    mono = MonoResult.from_async_result(source).map(lambda v: v * 10)
    assert await mono == Success(10)
    assert await mono == Success(20)
    assert source.calls == 2


async def test_steps_are_immutable_branches() -> None:
    """Adding a step returns a new Mono and leaves the original unchanged."""
    base = MonoResult.from_value(1)
    doubled = base.map(lambda v: v * 2)
    assert await base == Success(1)
    assert await doubled == Success(2)


def test_bad_constructor_arguments_raise() -> None:
    """Non-callables, non-Results and non-awaitables are programmer errors."""
    with pytest.raises(TypeError, match="function returning"):
        MonoResult(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a Result"):
        MonoResult.from_result(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs an awaitable"):
        MonoResult.from_awaitable(42)  # type: ignore[call-overload]


async def test_a_coroutine_passed_as_the_source_names_the_fix() -> None:
    """A coroutine where a function belongs: the error suggests a lambda or from_awaitable,
    and the coroutine is closed (no 'never awaited' warning on top)."""

    async def fetch() -> Result[int, str]:
        return Success(1)

    coroutine: Any = fetch()
    with pytest.raises(TypeError, match="got the awaitable") as raised:
        MonoResult.from_async_result(coroutine)  # type: ignore[arg-type]
    assert "`lambda: fetch(user_id)`" in str(raised.value)
    assert "MonoResult.from_awaitable(awaitable)" in str(raised.value)
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED
    with pytest.raises(TypeError, match="from_awaitable"):
        MonoResult(fetch())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"use MonoResult.from_result\(result\)"):
        MonoResult.from_async_result(Success(1))  # type: ignore[arg-type]
    assert await MonoResult.from_awaitable(fetch()) == Success(1)  # the suggested fix works


async def test_source_returning_a_non_result_raises() -> None:
    """A source that returns a plain value fails loudly, naming the value."""

    async def bad() -> Any:
        return 42

    with pytest.raises(TypeError, match="must produce a Result, got 42"):
        await MonoResult.from_async_result(bad)


# Value and error steps.


async def test_success_path_runs_value_steps() -> None:
    """map, bind_result and bind_async_result transform the success value in order."""

    async def add_async(v: int) -> Result[int, str]:
        return Success(v + 100)

    mono = (
        MonoResult.from_value(1)
        .map(lambda v: v + 1)
        .bind_result(lambda v: Success(v * 10))
        .bind_async_result(add_async)
        .map_error(lambda e: f"never {e}")
    )
    assert await mono == Success(120)


async def test_failure_short_circuits_value_steps() -> None:
    """After a Failure, value steps are skipped and map_error applies."""
    called: list[str] = []

    async def never(v: int) -> Result[int, str]:
        called.append("async")
        return Success(v)

    mono = (
        MonoResult.from_value(1)
        .bind_result(lambda v: Failure(f"bad {v}"))
        .map(lambda v: called.append("map"))
        .bind_async_result(never)
        .tap(lambda v: called.append("tap"))
        .map_error(str.upper)
    )
    assert await mono == Failure("BAD 1")
    assert called == []


async def test_exceptions_in_steps_propagate() -> None:
    """A function raising inside map is a bug: the exception propagates (not a Failure)."""
    mono = MonoResult.from_value(0).map(lambda v: 1 // v)
    with pytest.raises(ZeroDivisionError):
        await mono


async def test_result_subclasses_are_handled_like_results() -> None:
    """A subclass of Success from a source or an async bind is treated as a Success."""

    class Tagged(Success[int]):
        __slots__ = ()

    async def tagged(v: int) -> Result[int, str]:
        return Tagged(v + 1)

    mono = MonoResult.from_async_result(lambda: tagged(0)).bind_async_result(tagged)
    mono = mono.bind_async_result(lambda v: Tagged(v * 10))
    result = await mono.map(lambda v: v + 1)
    assert result.is_success() and result.unwrap() == 21


async def test_bind_returning_a_non_result_raises() -> None:
    """bind_result and bind_async_result insist on a Result from their function."""

    async def plain(v: int) -> Any:
        return v

    with pytest.raises(TypeError, match="bind_result"):
        await MonoResult.from_value(1).bind_result(lambda v: v)  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="bind_async_result"):
        await MonoResult.from_value(1).bind_async_result(plain)


async def test_error_recovery_steps() -> None:
    """on_error_return, on_error_return_result and on_error_resume replace a Failure only."""

    async def resume_async(e: str) -> Result[str, str]:
        return Success(f"async {e}")

    failing = MonoResult.from_error("x")
    assert await failing.on_error_return("default") == Success("default")
    assert await failing.on_error_return_value(0) == Success(0)
    assert await failing.on_error_return_result(lambda e: Failure(e * 2)) == Failure("xx")
    assert await failing.on_error_resume(lambda e: Success(e)) == Success("x")
    assert await failing.on_error_resume(resume_async) == Success("async x")
    assert await failing.on_error_resume(lambda e: MonoResult.from_value(e + "!")) == Success("x!")
    assert await MonoResult.from_value(1).on_error_return(2) == Success(1)
    assert await MonoResult.from_value(1).on_error_resume(lambda e: Success(2)) == Success(1)


async def test_on_error_resume_with_a_non_result_raises() -> None:
    """on_error_resume's function must give a Result or an awaitable of one."""

    async def plain(e: str) -> Any:
        return e

    with pytest.raises(TypeError, match="on_error_resume"):
        await MonoResult.from_error("x").on_error_resume(plain)


async def test_sync_functions_are_accepted_where_async_ones_are_expected() -> None:
    """from_async_result and bind_async_result also take sync functions returning a Result."""
    mono = MonoResult.from_async_result(lambda: Success(1)).bind_async_result(
        lambda v: Success(v + 1)
    )
    assert await mono == Success(2)


async def test_async_side_effects_are_awaited() -> None:
    """tap and tap_error await an async side effect before going on."""
    seen: list[object] = []

    async def record(item: object) -> None:
        await asyncio.sleep(0)
        seen.append(item)

    assert await MonoResult.from_value(1).tap(record) == Success(1)
    assert await MonoResult.from_error("e").do_on_error(record) == Failure("e")
    assert seen == [1, "e"]


async def test_side_effect_steps_see_the_right_variant() -> None:
    """tap/do_on_success see values and tap_error/do_on_error see errors, unchanged."""
    seen: list[object] = []
    ok = MonoResult.from_value(1).do_on_success(seen.append).do_on_error(seen.append)
    bad = MonoResult.from_error("e").tap(seen.append).tap_error(seen.append)
    assert await ok == Success(1)
    assert await bad == Failure("e")
    assert seen == [1, "e"]


# Timeout.


async def test_timeout_cancels_the_inner_coroutine() -> None:
    """On expiry the inner coroutine sees CancelledError and the Mono yields a timeout Failure."""
    cancelled = asyncio.Event()

    async def slow() -> Result[int, str]:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Success(1)

    start = time.perf_counter()
    result = await MonoResult.from_async_result(slow).timeout(0.05)
    elapsed = time.perf_counter() - start
    assert cancelled.is_set()
    assert isinstance(result, Failure)
    error = result.error
    assert isinstance(error, OperationTimeoutError) and isinstance(error, TimeoutError)
    assert "timeout" in str(error) and error.seconds == 0.05
    assert 0.04 <= elapsed < 2.0


async def test_timeout_leaves_a_fast_result_alone() -> None:
    """A pipeline finishing in time keeps its own Result, Success or Failure."""
    assert await MonoResult.from_value(1).timeout(1) == Success(1)
    assert await MonoResult.from_error("e").timeout(1) == Failure("e")


async def test_timeout_applies_to_the_steps_before_it() -> None:
    """Steps after timeout() run on its Failure, e.g. map_error to the caller's error type."""

    async def slow() -> Result[int, str]:
        await asyncio.sleep(10)
        return Success(1)

    result = (
        await MonoResult.from_async_result(slow).timeout(0.01).map_error(lambda e: f"mapped: {e}")
    )
    assert isinstance(result, Failure) and result.error.startswith("mapped: timeout")


async def test_timeout_error_raised_by_the_code_itself_propagates() -> None:
    """A TimeoutError the inner code raises is a bug of its own, not our timeout: it propagates."""

    async def raises() -> Result[int, str]:
        raise TimeoutError("socket")

    with pytest.raises(TimeoutError, match="socket"):
        await MonoResult.from_async_result(raises).timeout(5)


async def test_timeout_still_fails_when_the_inner_code_swallows_cancellation() -> None:
    """An inner coroutine that catches CancelledError and returns late still times out."""

    async def stubborn() -> Result[int, str]:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return Success(1)
        return Success(2)

    result = await MonoResult.from_async_result(stubborn).timeout(0.01)
    assert isinstance(result, Failure) and isinstance(result.error, OperationTimeoutError)


async def test_outer_cancellation_is_not_reported_as_timeout() -> None:
    """Cancelling the awaiting task propagates CancelledError rather than a timeout Failure."""
    started = asyncio.Event()

    async def slow() -> Result[int, str]:
        started.set()
        await asyncio.sleep(10)
        return Success(1)

    task = asyncio.ensure_future(MonoResult.from_async_result(slow).timeout(5).to_result())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_negative_timeout_raises() -> None:
    """timeout(-1) is a programmer error."""
    with pytest.raises(ValueError, match="seconds >= 0"):
        MonoResult.from_value(1).timeout(-1)


# Retry.


async def test_retry_runs_until_success() -> None:
    """retry re-runs the upstream on Failure and stops at the first Success."""
    source = Counter(Failure("a"), Failure("b"), Success("ok"))
    sleep = RecordingSleep()
    result = await MonoResult.from_async_result(source).retry(5, sleep=sleep)
    assert result == Success("ok")
    assert source.calls == 3
    assert sleep.delays == []  # backoff 0: no waiting


async def test_retry_gives_up_after_times_retries() -> None:
    """retry(3) makes 4 attempts in all and returns the last Failure."""
    source = Counter(Failure(1), Failure(2), Failure(3), Failure(4), Failure(5))
    result = await MonoResult.from_async_result(source).retry(3, sleep=RecordingSleep())
    assert result == Failure(4)
    assert source.calls == 4


async def test_retry_backoff_is_exponential_and_capped() -> None:
    """Delays grow by factor per retry and stop at max_backoff (no jitter)."""
    sleep = RecordingSleep()
    source = Counter(Failure("e"))
    mono = MonoResult.from_async_result(source).retry(
        5, backoff=0.1, factor=2.0, max_backoff=0.5, jitter=0.0, sleep=sleep
    )
    await mono
    assert sleep.delays == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5])
    assert source.calls == 6


async def test_retry_jitter_stays_within_bounds() -> None:
    """With jitter j each delay lies within [d*(1-j), d*(1+j)] and they are not all equal."""
    sleep = RecordingSleep()
    await MonoResult.from_error("e").retry(40, backoff=1.0, factor=1.0, jitter=0.5, sleep=sleep)
    assert len(sleep.delays) == 40
    assert all(0.5 <= d <= 1.5 for d in sleep.delays)
    assert len(set(sleep.delays)) > 1


async def test_retry_with_a_backoff_function() -> None:
    """backoff may be a function of the retry index giving the delay."""
    sleep = RecordingSleep()
    await MonoResult.from_error("e").retry(3, backoff=lambda n: n + 0.5, jitter=0, sleep=sleep)
    assert sleep.delays == [0.5, 1.5, 2.5]


async def test_retry_only_when_the_predicate_allows() -> None:
    """when(error) False stops retrying at once."""
    source = Counter(Failure("transient"), Failure("fatal"), Success(1))
    mono = MonoResult.from_async_result(source).retry(
        5, when=lambda e: e == "transient", sleep=RecordingSleep()
    )
    assert await mono == Failure("fatal")
    assert source.calls == 2


async def test_retry_does_not_retry_exceptions() -> None:
    """An exception is a bug: it propagates from the first attempt."""
    calls = 0

    async def boom() -> Result[int, str]:
        nonlocal calls
        calls += 1
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        await MonoResult.from_async_result(boom).retry(3)
    assert calls == 1


async def test_retry_with_per_attempt_timeout() -> None:
    """timeout before retry bounds each attempt; a slow first attempt is retried."""
    attempts = 0

    async def slow_then_fast() -> Result[str, str]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            await asyncio.sleep(10)
        return Success("fast")

    mono = MonoResult.from_async_result(slow_then_fast).timeout(0.02).retry(2)
    assert await mono == Success("fast")
    assert attempts == 2


async def test_retry_uses_asyncio_sleep_by_default() -> None:
    """Without an injected sleep the real backoff delay is waited."""
    start = time.perf_counter()
    await MonoResult.from_error("e").retry(1, backoff=0.02, jitter=0)
    assert time.perf_counter() - start >= 0.015


def test_retry_rejects_bad_arguments() -> None:
    """Negative times/backoff, jitter outside [0, 1] and factor < 1 raise ValueError."""
    mono = MonoResult.from_value(1)
    for kwargs in ({"times": -1}, {"times": 1, "backoff": -1.0}, {"times": 1, "jitter": 2.0}):
        with pytest.raises(ValueError):
            mono.retry(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        mono.retry(1, factor=0.5)


# Cache and from_awaitable.


async def test_cache_runs_once_under_concurrent_awaits() -> None:
    """Ten concurrent awaits of a cached Mono share one run of the source."""
    gate = asyncio.Event()
    calls = 0

    async def source() -> Result[int, str]:
        nonlocal calls
        calls += 1
        await gate.wait()
        return Success(calls)

    mono = MonoResult.from_async_result(source).map(lambda v: v * 10).cache()
    waiters = [asyncio.ensure_future(mono.to_result()) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiters) == [Success(10)] * 10
    assert await mono == Success(10)
    assert calls == 1


async def test_cache_keeps_failures_but_not_exceptions() -> None:
    """A cached Failure is replayed; an exception is not cached, so the next await retries."""
    failing = Counter(Failure("e"), Success(1))
    cached = MonoResult.from_async_result(failing).cache()
    assert await cached == Failure("e")
    assert await cached == Failure("e")
    assert failing.calls == 1

    calls = 0

    async def flaky() -> Result[int, str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("first")
        return Success(calls)

    mono = MonoResult.from_async_result(flaky).cache()
    with pytest.raises(RuntimeError):
        await mono
    assert await mono == Success(2)
    assert await mono == Success(2)


async def test_cache_survives_a_cancelled_first_awaiter() -> None:
    """If the first awaiter is cancelled mid-run, a later await runs the source again."""
    calls = 0
    started = asyncio.Event()

    async def source() -> Result[int, str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.set()
            await asyncio.sleep(10)
        return Success(calls)

    mono = MonoResult.from_async_result(source).cache()
    first = asyncio.ensure_future(mono.to_result())
    await started.wait()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await mono == Success(2)


async def test_from_awaitable_awaits_once_and_replays() -> None:
    """A coroutine runs on first await only; later awaits replay its Result."""
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        return 42

    mono = MonoResult.from_awaitable(compute())
    assert calls == 0
    assert await mono == Success(42)
    assert await mono.map(lambda v: v + 1) == Success(43)
    assert calls == 1


async def test_from_awaitable_keeps_a_result_and_accepts_futures() -> None:
    """An awaited Result is kept as is; a future works as a source too."""

    async def result() -> Result[int, str]:
        return Failure("no")

    assert await MonoResult.from_awaitable(result()) == Failure("no")
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    future.set_result(7)
    assert await MonoResult.from_awaitable(future) == Success(7)


async def test_from_awaitable_that_raised_cannot_be_awaited_again() -> None:
    """After the awaitable raised, a second await says why it cannot run again."""

    async def boom() -> int:
        raise ValueError("boom")

    mono = MonoResult.from_awaitable(boom())
    with pytest.raises(ValueError):
        await mono
    with pytest.raises(RuntimeError, match="from_async_result"):
        await mono


# Logging.


async def test_log_step_and_log_error_log_name_outcome_and_elapsed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """log_step logs every outcome at INFO; log_error logs only Failures at ERROR."""
    caplog.set_level(logging.INFO, logger="rfs.reactive")
    await MonoResult.from_value(1).log_step("fetch").log_error("fetch_error")
    await MonoResult.from_error("boom").log_step("fetch").log_error("fetch_error")
    records = [(r.levelname, r.rfs_step, r.rfs_result) for r in caplog.records]  # type: ignore[attr-defined]
    assert records == [
        ("INFO", "fetch", "success"),
        ("INFO", "fetch", "failure"),
        ("ERROR", "fetch_error", "failure"),
    ]
    assert all(r.rfs_elapsed_ms >= 0 for r in caplog.records)  # type: ignore[attr-defined]
    assert "'boom'" in caplog.records[-1].getMessage()
    assert caplog.records[-1].rfs_error_type == "str"  # type: ignore[attr-defined]


async def test_logging_is_skipped_when_disabled(caplog: pytest.LogCaptureFixture) -> None:
    """With the logger above INFO, log_step emits nothing."""
    caplog.set_level(logging.WARNING, logger="rfs.reactive")
    await MonoResult.from_value(1).log_step("quiet")
    assert caplog.records == []


def test_repr_names_the_steps() -> None:
    """repr shows the source and the step names (for debugging)."""
    text = repr(MonoResult.from_value(1).map(str).bind_result(Success))
    assert text == "MonoResult(Success(1).map.bind_result)"


# Laws.

results = st.one_of(st.integers().map(Success), st.text(max_size=3).map(Failure))


@settings(deadline=None)
@given(results)
def test_map_identity_law(result: Result[int, str]) -> None:
    """Mono.map(identity) yields the source Result."""
    assert asyncio.run(MonoResult.from_result(result).map(lambda v: v).to_result()) == result


@settings(deadline=None)
@given(results, st.integers(), st.integers())
def test_map_composition_and_agreement_with_result(
    result: Result[int, str], a: int, b: int
) -> None:
    """Mono.map(f).map(g) == Mono.map(g . f) == Result.map(f).map(g)."""

    def f(v: int) -> int:
        return v + a

    def g(v: int) -> int:
        return v * b

    chained = asyncio.run(MonoResult.from_result(result).map(f).map(g).to_result())
    composed = asyncio.run(MonoResult.from_result(result).map(lambda v: g(f(v))).to_result())
    assert chained == composed == result.map(f).map(g)


@settings(deadline=None)
@given(results, st.integers())
def test_bind_async_agrees_with_result_bind(result: Result[int, str], n: int) -> None:
    """bind_async_result with an async f gives what Result.bind gives with the sync f."""

    def f(v: int) -> Result[int, str]:
        return Success(v + n) if v % 2 else Failure(f"even {v}")

    async def f_async(v: int) -> Result[int, str]:
        return f(v)

    got = asyncio.run(MonoResult.from_result(result).bind_async_result(f_async).to_result())
    assert got == result.bind(f)
