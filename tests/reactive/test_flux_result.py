"""FluxResult: constructors, sync steps and terminals, lazy async streams, bounded map_async."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.reactive import FluxResult, MonoResult
from rfs.result import Failure, Result, Success

MIXED: list[Result[int, str]] = [Success(1), Failure("a"), Success(2), Failure("b"), Success(3)]


class Source:
    """An async iterable of ints recording how far it was pulled and whether it was closed."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pulled = 0
        self.closed = False

    async def items(self) -> AsyncIterator[int]:
        try:
            for i in range(self.count):
                self.pulled += 1
                yield i
                await asyncio.sleep(0)
        finally:
            self.closed = True


class InFlight:
    """An async function measuring how many of its calls run at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.current = 0
        self.max = 0
        self.calls = 0
        self.delay = delay

    async def __call__(self, value: int) -> int:
        self.calls += 1
        self.current += 1
        self.max = max(self.max, self.current)
        try:
            if self.delay:
                await asyncio.sleep(random.random() * self.delay)
            else:
                for _ in range(random.randint(1, 3)):
                    await asyncio.sleep(0)
        finally:
            self.current -= 1
        return value * 2


# Materialized Flux.


def test_constructors_build_materialized_fluxes() -> None:
    """from_results, from_values, from_iterable, empty and FluxResult(list) hold their Results."""
    assert FluxResult.from_results(MIXED).to_list() == MIXED
    assert FluxResult(MIXED).to_list() == MIXED
    assert FluxResult.from_values(range(3)).to_list() == [Success(0), Success(1), Success(2)]
    assert FluxResult.from_iterable([1, Failure("x")]).to_list() == [Success(1), Failure("x")]
    assert FluxResult.empty().to_list() == []
    assert FluxResult.from_values([1]).is_materialized


def test_from_results_rejects_non_results() -> None:
    """A plain value among Results is a programmer error."""
    with pytest.raises(TypeError, match="needs Results"):
        FluxResult.from_results([Success(1), 2])  # type: ignore[list-item]


def test_stats_and_terminals() -> None:
    """Counts, rates, values, errors, partition and collect describe the Results."""
    flux = FluxResult.from_results(MIXED)
    assert (flux.count_success(), flux.count_failures(), flux.count_total()) == (3, 2, 5)
    assert flux.success_rate() == pytest.approx(0.6)
    assert not flux.is_all_success() and flux.is_any_failure()
    assert flux.success_values() == [1, 2, 3]
    assert flux.failures() == ["a", "b"]
    assert flux.partition() == ([1, 2, 3], ["a", "b"])
    assert flux.collect() == Failure("a")
    assert FluxResult.from_values([1, 2]).collect() == Success([1, 2])
    assert len(flux) == 5 and list(flux) == MIXED
    assert FluxResult.empty().success_rate() == 0.0
    assert FluxResult.empty().is_all_success()
    assert repr(flux) == "FluxResult(success=3, failures=2, total=5)"


def test_sync_steps() -> None:
    """map, map_error, bind_result, filters, take and skip act per Result, in order."""
    flux = FluxResult.from_results(MIXED)
    assert flux.map(lambda v: v * 10).to_list()[:2] == [Success(10), Failure("a")]
    assert flux.map_error(str.upper).failures() == ["A", "B"]
    bound = flux.bind_result(lambda v: Success(v) if v != 2 else Failure("two"))
    assert bound.to_list() == [Success(1), Failure("a"), Failure("two"), Failure("b"), Success(3)]
    assert flux.filter_success().to_list() == [Success(1), Success(2), Success(3)]
    assert flux.filter_failures().to_list() == [Failure("a"), Failure("b")]
    assert flux.filter(lambda v: v > 1).to_list() == [
        Failure("a"),
        Success(2),
        Failure("b"),
        Success(3),
    ]
    assert flux.take(2).to_list() == MIXED[:2]
    assert flux.skip(3).to_list() == MIXED[3:]


def test_sync_step_exceptions_propagate() -> None:
    """A function raising inside map is a bug and propagates (v4 turned it into a Failure)."""
    with pytest.raises(ZeroDivisionError):
        FluxResult.from_values([0]).map(lambda v: 1 // v)
    with pytest.raises(TypeError, match="must return a Result"):
        FluxResult.from_values([0]).bind_result(lambda v: v)  # type: ignore[arg-type, return-value]


def test_bad_counts_and_concurrency_raise() -> None:
    """take(-1), skip(-1) and concurrency < 1 are programmer errors."""
    flux = FluxResult.from_values([1])
    with pytest.raises(ValueError):
        flux.take(-1)
    with pytest.raises(ValueError):
        flux.skip(-1)
    with pytest.raises(ValueError, match="concurrency"):
        flux.map_async(InFlight(), concurrency=0)


async def test_mono_terminals() -> None:
    """collect_results, collect_success_values and collect_error_values give MonoResults."""
    flux = FluxResult.from_results(MIXED)
    assert await flux.collect_results() == Failure(["a", "b"])
    assert await FluxResult.from_values([1, 2]).collect_results() == Success([1, 2])
    assert await flux.collect_success_values() == Success([1, 2, 3])
    assert await flux.collect_error_values() == Success(["a", "b"])
    assert isinstance(flux.collect_results(), MonoResult)


# map_async: bounded concurrency and order.


@pytest.mark.parametrize("concurrency", [1, 3, 16])
async def test_map_async_bounds_concurrency_and_keeps_order(concurrency: int) -> None:
    """Never more than N calls in flight (and N is reached); output order is input order."""
    fn = InFlight()
    flux = await FluxResult.from_values(range(200)).map_async(fn, concurrency=concurrency)
    assert flux.success_values() == [i * 2 for i in range(200)]
    assert fn.max == concurrency
    assert fn.calls == 200


async def test_map_async_with_timed_work_keeps_order() -> None:
    """With random real delays, results still come out in input order within the bound."""
    fn = InFlight(delay=0.005)
    flux = await FluxResult.from_values(range(60)).map_async(fn, concurrency=8)
    assert flux.success_values() == [i * 2 for i in range(60)]
    assert fn.max <= 8


async def test_map_async_passes_failures_through_in_place() -> None:
    """Failures are not sent to the function and keep their position."""
    fn = InFlight()
    flux = await FluxResult.from_results(MIXED).map_async(fn, concurrency=2)
    assert flux.to_list() == [Success(2), Failure("a"), Success(4), Failure("b"), Success(6)]
    assert fn.calls == 3


async def test_map_async_is_lazy_until_awaited() -> None:
    """An async step runs nothing until the Flux is awaited or iterated."""
    fn = InFlight()
    flux = FluxResult.from_values(range(5)).map_async(fn, concurrency=2)
    await asyncio.sleep(0.01)
    assert fn.calls == 0 and not flux.is_materialized
    await flux
    assert fn.calls == 5


async def test_map_async_streams_a_large_source_with_bounded_memory() -> None:
    """Over a long async source, items pulled but not yet consumed stay within 2N."""
    source = Source(3000)
    fn = InFlight()
    consumed = 0
    ahead = 0
    async for result in FluxResult.from_async_iterable(source.items()).map_async(fn, 10):
        assert result == Success(consumed * 2)
        consumed += 1
        ahead = max(ahead, source.pulled - consumed)
    assert consumed == 3000
    assert ahead <= 2 * 10 + 1
    assert fn.max <= 10


async def test_map_async_exception_cancels_work_in_flight() -> None:
    """An exception from the function propagates and cancels the other calls in flight."""
    cancelled = 0
    gate = asyncio.Event()

    async def fn(value: int) -> int:
        nonlocal cancelled
        if value == 3:
            raise ValueError("bad item")
        try:
            await gate.wait()
        except asyncio.CancelledError:
            cancelled += 1
            raise
        return value

    with pytest.raises(ValueError, match="bad item"):
        await FluxResult.from_values(range(10)).map_async(fn, concurrency=5)
    assert cancelled == 4


async def test_bind_async_and_parallel_map_async_take_result_functions() -> None:
    """bind_async / parallel_map_async chain async Result functions; a non-Result raises."""

    async def half(v: int) -> Result[int, str]:
        return Success(v // 2) if v % 2 == 0 else Failure(f"odd {v}")

    flux = await FluxResult.from_values(range(4)).bind_async(half, concurrency=2)
    assert flux.to_list() == [Success(0), Failure("odd 1"), Success(1), Failure("odd 3")]
    v4 = await FluxResult.from_values(range(4)).parallel_map_async(half, max_concurrency=2)
    assert v4.to_list() == flux.to_list()

    async def plain(v: int) -> Any:
        return v

    with pytest.raises(TypeError, match="must return a Result"):
        await FluxResult.from_values([1]).bind_async(plain)


async def test_async_steps_accept_sync_functions() -> None:
    """map_async and bind_async take sync functions too; a bad return type still raises."""
    mapped = await FluxResult.from_results(MIXED).map_async(lambda v: v + 1, concurrency=2)
    assert mapped.to_list()[:2] == [Success(2), Failure("a")]
    bound = await FluxResult.from_values([1, 2]).bind_async(lambda v: Failure(v))
    assert bound.failures() == [1, 2]
    with pytest.raises(TypeError, match="must return a Result"):
        await FluxResult.from_values([1]).bind_async(lambda v: v)  # type: ignore[arg-type, return-value]


async def test_parallel_map_runs_blocking_functions_in_threads() -> None:
    """parallel_map runs a sync function off the event loop thread, keeping order."""
    loop_thread = threading.get_ident()
    threads: set[int] = set()

    def work(v: int) -> int:
        threads.add(threading.get_ident())
        return v + 1

    flux = await FluxResult.from_values(range(6)).parallel_map(work, max_concurrency=3)
    assert flux.success_values() == [1, 2, 3, 4, 5, 6]
    assert loop_thread not in threads


# Lazy async Flux.


async def test_async_iterable_flux_is_lazy_and_needs_an_async_terminal() -> None:
    """Nothing is pulled before iteration; sync terminals explain how to materialize."""
    source = Source(4)
    flux = FluxResult.from_async_iterable(source.items()).map(lambda v: v + 1)
    assert source.pulled == 0
    with pytest.raises(TypeError, match="await flux"):
        flux.count_success()
    assert repr(flux) == "FluxResult(<lazy async stream>)"
    materialized = await flux.materialize()
    assert materialized.success_values() == [1, 2, 3, 4]
    assert await materialized is materialized


async def test_one_shot_async_source_cannot_be_replayed() -> None:
    """A second pass over a consumed async generator raises instead of yielding nothing."""
    flux = FluxResult.from_async_iterable(Source(2).items())
    assert (await flux).count_total() == 2
    with pytest.raises(RuntimeError, match="already consumed"):
        await flux


async def test_reiterable_async_source_can_be_replayed() -> None:
    """An async iterable whose __aiter__ gives a fresh iterator can be streamed twice."""

    class Numbers:
        def __aiter__(self) -> AsyncIterator[int]:
            return Source(3).items()

    flux = FluxResult.from_async_iterable(Numbers())
    assert (await flux).success_values() == [0, 1, 2]
    assert (await flux).success_values() == [0, 1, 2]


async def test_async_source_keeps_results_and_wraps_values() -> None:
    """Results from the source are kept; other items become Success."""

    async def mixed() -> AsyncIterator[Any]:
        yield 1
        yield Failure("x")

    flux = await FluxResult.from_async_iterable(mixed())
    assert flux.to_list() == [Success(1), Failure("x")]
    with pytest.raises(TypeError, match="async iterable"):
        FluxResult.from_async_iterable([1, 2])  # type: ignore[call-overload]


async def test_lazy_steps_filters_take_and_skip() -> None:
    """Sync steps on a lazy Flux apply per item; take stops and closes the source."""
    source = Source(1000)
    flux = (
        FluxResult.from_async_iterable(source.items())
        .bind_result(lambda v: Success(v) if v % 3 else Failure(v))
        .filter_success()
        .filter(lambda v: v % 2 == 0)
        .map_error(str)
        .skip(1)
        .take(3)
    )
    assert (await flux).success_values() == [4, 8, 10]
    assert source.pulled < 20
    assert source.closed
    failures = (
        await FluxResult.from_async_iterable(Source(7).items())
        .bind_result(lambda v: Success(v) if v % 3 else Failure(v))
        .filter_failures()
    )
    assert failures.failures() == [0, 3, 6]
    assert (await FluxResult.from_async_iterable(Source(3).items()).take(0)).to_list() == []


async def test_async_for_over_a_materialized_flux() -> None:
    """async for works on materialized Fluxes too."""
    assert [r async for r in FluxResult.from_results(MIXED)] == MIXED


async def test_finished_heads_do_not_wait_for_the_next_source_item() -> None:
    """A finished result is delivered while the async source is still waiting for input."""
    release = asyncio.Event()

    async def live() -> AsyncIterator[int]:
        yield 1
        await release.wait()
        yield 2

    async def double(v: int) -> int:
        await asyncio.sleep(0)
        return v * 2

    stream = aiter(FluxResult.from_async_iterable(live()).map_async(double, concurrency=4))
    first = await asyncio.wait_for(anext(stream), timeout=2)
    assert first == Success(2)
    release.set()
    assert await anext(stream) == Success(4)
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


async def test_breaking_out_early_cancels_work_and_closes_the_source() -> None:
    """Leaving async for early cancels calls in flight and closes the source."""
    source = Source(100)
    gate = asyncio.Event()
    others_started = asyncio.Event()
    cancelled = started = 0

    async def fn(v: int) -> int:
        nonlocal cancelled, started
        if v == 0:
            await others_started.wait()
            return v
        started += 1
        if started == 2:
            others_started.set()
        try:
            await gate.wait()
        except asyncio.CancelledError:
            cancelled += 1
            raise
        return v

    stream = FluxResult.from_async_iterable(source.items()).map_async(fn, concurrency=4)
    async with aclosing(aiter(stream)) as results:
        async for _result in results:
            break
    assert source.closed
    assert cancelled >= 2


async def test_from_async_results_runs_functions_in_order() -> None:
    """from_async_results awaits each function (bounded) and keeps order; v4's await works."""
    fn = InFlight()

    def call(i: int) -> Any:
        async def run() -> Result[int, str]:
            return Success(await fn(i)) if i != 2 else Failure("two")

        return run

    flux = await FluxResult.from_async_results([call(i) for i in range(5)], concurrency=2)
    assert flux.to_list() == [Success(0), Success(2), Failure("two"), Success(6), Success(8)]
    assert fn.max <= 2
    assert (await FluxResult.from_async_results([])).to_list() == []


async def test_mono_terminals_on_a_lazy_flux() -> None:
    """collect_results on a lazy Flux runs the stream when the Mono is awaited."""
    source = Source(3)
    mono = FluxResult.from_async_iterable(source.items()).collect_results()
    assert source.pulled == 0
    assert await mono == Success([0, 1, 2])


# Properties.


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.integers().map(Success), st.text(max_size=2).map(Failure))),
    st.integers(min_value=1, max_value=8),
)
def test_map_async_agrees_with_map(results: list[Result[int, str]], concurrency: int) -> None:
    """map_async(f) with any concurrency gives the same Results as the sync map(f)."""
    fn = InFlight()

    async def run() -> list[Result[int, str]]:
        flux = FluxResult.from_results(results).map_async(fn, concurrency=concurrency)
        return (await flux).to_list()

    assert asyncio.run(run()) == FluxResult.from_results(results).map(lambda v: v * 2).to_list()
    assert fn.max <= concurrency


@settings(deadline=None)
@given(st.lists(st.one_of(st.integers().map(Success), st.text(max_size=2).map(Failure))))
def test_stats_agree_with_partition(results: list[Result[int, str]]) -> None:
    """count_success + count_failures == count_total, matching partition."""
    flux = FluxResult.from_results(results)
    values, errors = flux.partition()
    assert flux.count_success() == len(values)
    assert flux.count_failures() == len(errors)
    assert flux.count_total() == len(results)
