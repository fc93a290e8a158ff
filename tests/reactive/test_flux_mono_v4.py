"""RFS v4's Reactor-style Flux and Mono (rfs.reactive.flux / .mono), Operators, Scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs.reactive import Flux, Mono, Operators
from rfs.reactive.flux import Flux as FluxFromModule
from rfs.reactive.mono import Mono as MonoFromModule
from rfs.reactive.schedulers import Scheduler, SchedulerType


async def test_module_paths_and_basic_operators() -> None:
    """Flux.range/filter/map/take/skip/distinct/buffer/reduce/count behave as in Reactor."""
    assert Flux is FluxFromModule and Mono is MonoFromModule
    flux = Flux.range(1, 10).filter(lambda n: n % 2 == 0).map(lambda n: n * 10)
    assert await flux.collect_list() == [20, 40, 60, 80, 100]
    assert await flux.collect_list() == [20, 40, 60, 80, 100]  # re-iterable
    assert await Flux.just(1, 1, 2).distinct().collect_list() == [1, 2]
    assert await Flux.range(0, 5).skip(3).collect_list() == [3, 4]
    assert await Flux.range(0, 5).buffer(2).collect_list() == [[0, 1], [2, 3], [4]]
    assert await Flux.range(1, 4).reduce(0, lambda a, b: a + b).collect_list() == [10]
    assert (await Flux.range(0, 7).count(), await Flux.empty().count()) == (7, 0)
    assert await Flux.just(1, 2).any(lambda n: n > 1) and not await Flux.just(1).all(
        lambda n: n > 1
    )
    assert await Flux.just(1).flat_map(lambda n: Flux.just(n, n)).collect_set() == {1}


async def test_take_stops_pulling_an_infinite_source() -> None:
    """take(n) on Flux.interval ends; the source is closed, not left running."""
    assert await Flux.interval(0.001).take(3).collect_list() == [0, 1, 2]


async def test_combining_operators() -> None:
    """merge interleaves concurrently, concat and zip keep order, combine_latest pairs."""

    async def slow() -> AsyncIterator[str]:
        await asyncio.sleep(0.01)
        yield "slow"

    merged = await Flux.merge(Flux(slow), Flux.just("fast")).collect_list()
    assert merged == ["fast", "slow"]
    assert await Flux.concat(Flux.just(1), Flux.just(2)).collect_list() == [1, 2]
    assert await Flux.zip(Flux.just(1, 2, 3), Flux.just("a", "b")).collect_list() == [
        (1, "a"),
        (2, "b"),
    ]
    assert await Operators.combine_latest(Flux.just(1), Flux.just(2)).collect_list() == [(1, 2)]
    windows = await Flux.range(0, 3).window(2).collect_list()
    assert [await w.collect_list() for w in windows] == [[0, 1], [2]]
    assert await Flux.range(0, 6).parallel(3).collect_list() == list(range(6))


async def test_errors_retry_and_subscribe() -> None:
    """on_error_return ends with the default, retry resubscribes, subscribe reports."""
    attempts = []

    async def flaky() -> AsyncIterator[int]:
        attempts.append(1)
        yield 1
        if len(attempts) < 2:
            raise ValueError("boom")

    assert await Flux(flaky).retry(3, delay=0).collect_list() == [1, 1]

    def fail(n: int) -> int:
        raise KeyError(n)

    assert await Flux.just(1).map(fail).on_error_return(-1).collect_list() == [-1]
    seen: list[object] = []
    await Flux.just(1).map(fail).subscribe(seen.append, on_error=seen.append)
    assert isinstance(seen[0], KeyError)
    with pytest.raises(KeyError):
        await Flux.just(1).map(fail).collect_list()


async def test_mono_operators() -> None:
    """Mono: just/empty/map/filter/switch_if_empty/zip_with/timeout/retry/cache."""
    assert await Mono.just(2).map(str) == "2"
    assert await Mono.just(2).filter(lambda n: n > 5).default_if_empty(0) == 0
    assert await Mono.empty().switch_if_empty(Mono.just("alt")) == "alt"
    assert await Mono.just(1).zip_with(Mono.just(2)) == (1, 2)
    assert await Mono.just(1).flat_map(lambda n: Mono.just(n + 1)) == 2
    with pytest.raises(TimeoutError, match=r"timed out after 0\.01 seconds"):
        await Mono.delay(5, "late").timeout(0.01)
    calls = []

    def load() -> int:
        calls.append(1)
        if len(calls) < 2:
            raise ValueError("once")
        return 7

    cached = Mono.from_callable(load).retry(2).cache()
    assert (await cached, await cached, len(calls)) == (7, 7, 2)
    errors: list[Exception] = []
    failing = Mono.from_callable(lambda: 1 / 0)
    assert await failing.on_error_return(0) == 0
    with pytest.raises(LookupError):
        await failing.do_on_error(errors.append).on_error_map(lambda e: LookupError(str(e)))
    assert isinstance(errors[0], ZeroDivisionError)


async def test_scheduler_runs_sync_async_and_pooled_tasks() -> None:
    """Immediate runs in place (awaiting async tasks); a pool scheduler runs in a thread."""

    async def task() -> int:
        return 5

    assert await Scheduler().schedule(task) == 5
    pool = Scheduler(SchedulerType.IO)
    try:
        assert await pool.schedule(lambda: 6) == 6
    finally:
        pool.dispose()


@given(st.lists(st.integers(), max_size=20), st.integers(min_value=1, max_value=5))
def test_buffer_then_flatten_is_identity(items: list[int], size: int) -> None:
    """Flattening buffer(size) gives the items back, in order, in chunks of at most size."""
    chunks = asyncio.run(Flux.from_iterable(items).buffer(size).collect_list())
    assert [x for chunk in chunks for x in chunk] == items
    assert all(0 < len(chunk) <= size for chunk in chunks)
