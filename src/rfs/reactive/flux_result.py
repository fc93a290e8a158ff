"""``FluxResult``: many Results, from a batch in memory or a lazy async stream.

A Flux built from in-memory data (``from_results``, ``from_values``, ``from_iterable``) is
*materialized*: its sync steps apply at once and its terminals (``count_success()``,
``collect()``...) answer synchronously. A Flux over an async source (``from_async_iterable``,
``from_async_results``) or after an async step (``map_async``...) is *lazy*: nothing runs
until it is iterated with ``async for`` (streaming, bounded memory) or awaited
(``await flux`` or ``await flux.materialize()``), which gives a materialized Flux.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
)
from contextlib import aclosing
from typing import Any, Generic, Never, TypeVar, overload

from rfs._aliases import accepts
from rfs.reactive._streams import AsyncSource, bounded_map
from rfs.reactive.mono_result import MonoResult
from rfs.result import Failure, Result, Success, partition, sequence

__all__ = ["FluxResult"]

T = TypeVar("T")
E = TypeVar("E")
U = TypeVar("U")
F = TypeVar("F")
T_co = TypeVar("T_co", covariant=True)
E_co = TypeVar("E_co", covariant=True)

_Stream = Callable[[], AsyncGenerator[Result[Any, Any], None]]
_DROP: Any = object()


class FluxResult(Generic[T_co, E_co]):
    """Many ``Result[T, E]``: a batch or an async stream, with bounded-concurrency async steps.

    Example::

        flux = await FluxResult.from_values(user_ids).map_async(fetch, concurrency=10)
        flux.count_success(), flux.count_failures()
    """

    __slots__ = ("_items", "_stream")

    _items: list[Result[Any, Any]] | None
    _stream: _Stream | None

    def __init__(self, results: Iterable[Result[T_co, E_co]] = ()) -> None:
        """A materialized Flux over ``results`` (the same as ``from_results``)."""
        self._items = _checked(results)
        self._stream = None

    # Constructors.

    @staticmethod
    def from_results(results: Iterable[Result[T, E]]) -> FluxResult[T, E]:
        """A materialized Flux over ``results``."""
        return _materialized(_checked(results))

    @staticmethod
    def from_values(values: Iterable[T]) -> FluxResult[T, Never]:
        """A materialized Flux of ``Success(value)`` for each value."""
        return _materialized([Success(value) for value in values])

    @overload
    @staticmethod
    def from_iterable(  # type: ignore[overload-overlap]
        items: Iterable[Result[T, E]],
    ) -> FluxResult[T, E]: ...
    @overload
    @staticmethod
    def from_iterable(items: Iterable[T]) -> FluxResult[T, Never]: ...
    @staticmethod
    def from_iterable(items: Iterable[Any]) -> FluxResult[Any, Any]:
        """A materialized Flux over any iterable: Results are kept, other items become Success."""
        return _materialized([_as_result(item) for item in items])

    @overload
    @staticmethod
    def from_async_iterable(  # type: ignore[overload-overlap]
        items: AsyncIterable[Result[T, E]],
    ) -> FluxResult[T, E]: ...
    @overload
    @staticmethod
    def from_async_iterable(items: AsyncIterable[T]) -> FluxResult[T, Never]: ...
    @staticmethod
    def from_async_iterable(items: AsyncIterable[Any]) -> FluxResult[Any, Any]:
        """A lazy Flux streaming an async iterable: Results are kept, other items become Success.

        An async iterator or generator can be consumed once: iterating the Flux a second
        time raises ``RuntimeError`` (await it once and keep the materialized Flux instead).
        """
        if not hasattr(items, "__aiter__"):
            raise TypeError(
                f"FluxResult.from_async_iterable needs an async iterable, got {items!r}"
            )
        return _lazy(AsyncSource(items))

    @staticmethod
    @accepts(async_funcs="funcs")
    def from_async_results(
        funcs: Iterable[Callable[[], Awaitable[Result[T, E]]]], concurrency: int | None = None
    ) -> FluxResult[T, E]:
        """A lazy Flux calling each function (``concurrency`` at a time, default all), in order.

        ``await FluxResult.from_async_results(funcs)`` runs them and gives the materialized Flux.
        """
        calls = list(funcs)
        limit = concurrency if concurrency is not None else max(1, len(calls))
        _check_concurrency(limit)
        items = [Success(fn) for fn in calls]

        def stream() -> AsyncGenerator[Result[Any, Any], None]:
            return bounded_map(iter(items), _call, limit, wrap=False, step="from_async_results")

        return _lazy(stream)

    @staticmethod
    def empty() -> FluxResult[Never, Never]:
        """A materialized Flux with no Results."""
        return _materialized([])

    # Sync steps (applied at once on a materialized Flux, per item on a lazy one).

    @accepts(func="fn")
    def map(self, fn: Callable[[T_co], U]) -> FluxResult[U, E_co]:
        """Transform each success value; Failures pass through."""
        return self._each(lambda result: result.map(fn))

    @accepts(func="fn")
    def map_error(self, fn: Callable[[E_co], F]) -> FluxResult[T_co, F]:
        """Transform each error; Successes pass through."""
        return self._each(lambda result: result.map_error(fn))

    def bind_result(self, fn: Callable[[T_co], Result[U, F]]) -> FluxResult[U, E_co | F]:
        """Chain a function returning a Result on each success value."""
        return self._each(lambda result: _check_bound(result.bind(fn), fn))

    def filter_success(self) -> FluxResult[T_co, Never]:
        """Keep only the Successes."""
        return self._each(lambda result: result if isinstance(result, Success) else _DROP)

    def filter_failures(self) -> FluxResult[Never, E_co]:
        """Keep only the Failures."""
        return self._each(lambda result: result if isinstance(result, Failure) else _DROP)

    def filter(self, predicate: Callable[[T_co], bool]) -> FluxResult[T_co, E_co]:
        """Drop the Successes whose value fails ``predicate``; Failures are kept."""
        return self._each(
            lambda result: (
                result if isinstance(result, Failure) or predicate(result.unwrap()) else _DROP
            )
        )

    def take(self, n: int) -> FluxResult[T_co, E_co]:
        """The first ``n`` Results (a lazy Flux stops pulling its source after them)."""
        _check_count("take", n)
        if self._items is not None:
            return _materialized(self._items[:n])
        upstream = self._stream
        assert upstream is not None

        async def stream() -> AsyncGenerator[Result[Any, Any], None]:
            if n == 0:
                return
            count = 0
            async with aclosing(upstream()) as items:
                async for result in items:
                    yield result
                    count += 1
                    if count >= n:
                        return

        return _lazy(stream)

    def skip(self, n: int) -> FluxResult[T_co, E_co]:
        """All Results but the first ``n``."""
        _check_count("skip", n)
        if self._items is not None:
            return _materialized(self._items[n:])
        upstream = self._stream
        assert upstream is not None

        async def stream() -> AsyncGenerator[Result[Any, Any], None]:
            count = 0
            async with aclosing(upstream()) as items:
                async for result in items:
                    if count >= n:
                        yield result
                    else:
                        count += 1

        return _lazy(stream)

    # Async steps: the result is a lazy Flux.

    def map_async(
        self, fn: Callable[[T_co], Awaitable[U]], concurrency: int = 10
    ) -> FluxResult[U, E_co]:
        """Transform each success value with an async function, ``concurrency`` at a time.

        Never more than ``concurrency`` calls are in flight; the output keeps the input
        order; items are pulled from the source only as room frees up (bounded memory).
        An exception from ``fn`` cancels the calls in flight and propagates. A sync ``fn``
        is accepted too (its values are used as they are).
        """
        return self._bounded(fn, concurrency, wrap=True, step="map_async")

    def bind_async(
        self, fn: Callable[[T_co], Awaitable[Result[U, F]] | Result[U, F]], concurrency: int = 10
    ) -> FluxResult[U, E_co | F]:
        """Chain an async function returning a Result on each success value (as ``map_async``)."""
        return self._bounded(fn, concurrency, wrap=False, step="bind_async")

    def parallel_map_async(
        self, func: Callable[[T_co], Awaitable[Result[U, F]]], max_concurrency: int = 10
    ) -> FluxResult[U, E_co | F]:
        """RFS v4 name of ``bind_async``: ``await flux.parallel_map_async(fn)`` gives a Flux."""
        return self._bounded(func, max_concurrency, wrap=False, step="parallel_map_async")

    def parallel_map(
        self, func: Callable[[T_co], U], max_concurrency: int = 10
    ) -> FluxResult[U, E_co]:
        """Transform each success value with a blocking function run in worker threads."""

        def in_thread(value: Any) -> Awaitable[U]:
            return asyncio.to_thread(func, value)

        return self._bounded(in_thread, max_concurrency, wrap=True, step="parallel_map")

    # Terminals on a materialized Flux (a lazy one raises TypeError: await it first).

    def to_list(self) -> list[Result[T_co, E_co]]:
        """The Results, in order (a new list)."""
        return list(self._results("to_list"))

    def count_success(self) -> int:
        """How many Successes."""
        return sum(1 for result in self._results("count_success") if isinstance(result, Success))

    def count_failures(self) -> int:
        """How many Failures."""
        return sum(1 for result in self._results("count_failures") if isinstance(result, Failure))

    def count_total(self) -> int:
        """How many Results."""
        return len(self._results("count_total"))

    def success_rate(self) -> float:
        """Successes / total, between 0.0 and 1.0 (0.0 when empty)."""
        total = self.count_total()
        return self.count_success() / total if total else 0.0

    def is_all_success(self) -> bool:
        """Whether every Result is a Success (True when empty)."""
        return all(isinstance(result, Success) for result in self._results("is_all_success"))

    def is_any_failure(self) -> bool:
        """Whether some Result is a Failure."""
        return any(isinstance(result, Failure) for result in self._results("is_any_failure"))

    def success_values(self) -> list[T_co]:
        """The success values, in order."""
        return partition(self._results("success_values"))[0]

    def failures(self) -> list[E_co]:
        """The errors, in order."""
        return partition(self._results("failures"))[1]

    def partition(self) -> tuple[list[T_co], list[E_co]]:
        """``(success values, errors)``, each in order."""
        return partition(self._results("partition"))

    def collect(self) -> Result[list[T_co], E_co]:
        """``Success(all values)``, or the first Failure."""
        return sequence(self._results("collect"))

    def __len__(self) -> int:
        return len(self._results("len"))

    def __iter__(self) -> Iterator[Result[T_co, E_co]]:
        return iter(self._results("iter"))

    # Terminals as MonoResult (RFS v4), for materialized and lazy Fluxes alike.

    def collect_results(self) -> MonoResult[list[T_co], list[E_co]]:
        """A Mono of ``Success(all values)``, or ``Failure(all errors)`` if any failed."""
        return self._to_mono(_all_or_errors)

    def collect_success_values(self) -> MonoResult[list[T_co], Never]:
        """A Mono of ``Success(success values)``; Failures are ignored."""
        return self._to_mono(lambda flux: Success(flux.success_values()))

    def collect_error_values(self) -> MonoResult[list[E_co], Never]:
        """A Mono of ``Success(errors)``; Successes are ignored."""
        return self._to_mono(lambda flux: Success(flux.failures()))

    # Async terminals.

    async def materialize(self) -> FluxResult[T_co, E_co]:
        """Run a lazy Flux to the end and return it materialized (a materialized one: itself)."""
        if self._items is not None:
            return self
        assert self._stream is not None
        async with aclosing(self._stream()) as items:
            return _materialized([result async for result in items])

    def __await__(self) -> Generator[Any, None, FluxResult[T_co, E_co]]:
        return self.materialize().__await__()

    def __aiter__(self) -> AsyncIterator[Result[T_co, E_co]]:
        if self._items is not None:
            return _iterate(self._items)
        assert self._stream is not None
        return self._stream()

    @property
    def is_materialized(self) -> bool:
        """Whether sync terminals are available (False for a lazy async Flux)."""
        return self._items is not None

    def __repr__(self) -> str:
        if self._items is None:
            return "FluxResult(<lazy async stream>)"
        return (
            f"FluxResult(success={self.count_success()}, failures={self.count_failures()}, "
            f"total={len(self._items)})"
        )

    # Internals.

    def _results(self, terminal: str) -> list[Result[Any, Any]]:
        if self._items is None:
            raise TypeError(
                f"FluxResult.{terminal}() needs a materialized Flux, and this one is a lazy "
                "async stream: use `flux = await flux` (or `await flux.materialize()`) first, "
                "or iterate it with `async for`"
            )
        return self._items

    def _each(self, transform: Callable[[Result[Any, Any]], Any]) -> FluxResult[Any, Any]:
        items = self._items
        if items is not None:
            return _materialized([x for result in items if (x := transform(result)) is not _DROP])
        upstream = self._stream
        assert upstream is not None

        async def stream() -> AsyncGenerator[Result[Any, Any], None]:
            async with aclosing(upstream()) as results:
                async for result in results:
                    x = transform(result)
                    if x is not _DROP:
                        yield x

        return _lazy(stream)

    def _bounded(
        self, fn: Callable[[Any], Any], concurrency: int, *, wrap: bool, step: str
    ) -> FluxResult[Any, Any]:
        _check_concurrency(concurrency)
        items, upstream = self._items, self._stream

        def stream() -> AsyncGenerator[Result[Any, Any], None]:
            source: Iterator[Result[Any, Any]] | AsyncIterator[Result[Any, Any]]
            source = iter(items) if items is not None else upstream()  # type: ignore[misc]
            return bounded_map(source, fn, concurrency, wrap=wrap, step=step)

        return _lazy(stream)

    def _to_mono(
        self, finish: Callable[[FluxResult[Any, Any]], Result[Any, Any]]
    ) -> MonoResult[Any, Any]:
        if self._items is not None:
            return MonoResult.from_result(finish(self))

        async def run() -> Result[Any, Any]:
            return finish(await self.materialize())

        return MonoResult.from_async_result(run)


def _materialized(items: list[Result[Any, Any]]) -> FluxResult[Any, Any]:
    flux: FluxResult[Any, Any] = object.__new__(FluxResult)
    flux._items = items
    flux._stream = None
    return flux


def _lazy(stream: _Stream) -> FluxResult[Any, Any]:
    flux: FluxResult[Any, Any] = object.__new__(FluxResult)
    flux._items = None
    flux._stream = stream
    return flux


def _checked(results: Iterable[Result[Any, Any]]) -> list[Result[Any, Any]]:
    items = list(results)
    for item in items:
        if not isinstance(item, Result):
            raise TypeError(f"FluxResult.from_results needs Results, got {item!r}")
    return items


def _as_result(item: Any) -> Result[Any, Any]:
    return item if isinstance(item, Result) else Success(item)


def _check_bound(result: Any, fn: object) -> Result[Any, Any]:
    if not isinstance(result, Result):
        raise TypeError(f"bind_result: {fn!r} must return a Result, returned {result!r}")
    return result


def _check_concurrency(concurrency: int) -> None:
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be an int >= 1, got {concurrency!r}")


def _check_count(step: str, n: int) -> None:
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"{step} needs an int n >= 0, got {n!r}")


def _all_or_errors(flux: FluxResult[Any, Any]) -> Result[Any, Any]:
    values, errors = flux.partition()
    return Failure(errors) if errors else Success(values)


def _call(fn: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
    return fn()


async def _iterate(items: list[Result[Any, Any]]) -> AsyncGenerator[Result[Any, Any], None]:
    for item in items:
        yield item
