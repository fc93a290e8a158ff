"""RFS v4's Reactor-style ``Flux``: a lazy async stream of plain values.

A Flux wraps ``source``, a function returning a fresh async iterator, so it can be
iterated again. Operators build a new Flux; nothing runs until it is iterated
(``async for``), collected (``await flux.collect_list()``) or subscribed. Errors are
exceptions raised out of the iteration; for a stream of Results use
:class:`rfs.reactive.FluxResult`. Combining operators (``merge``, ``zip``, ``concat``) and
the time-based ones are in :mod:`rfs.reactive.flux_ops`.
"""

from __future__ import annotations

import asyncio
import builtins
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import aclosing
from typing import Any, Generic, TypeVar

from rfs.reactive import flux_ops

__all__ = ["Flux"]

T = TypeVar("T")
R = TypeVar("R")

_Source = Callable[[], AsyncIterator[Any]]


async def _nothing() -> AsyncIterator[Any]:
    return
    yield  # pragma: no cover - makes this an async generator


class Flux(Generic[T]):
    """Zero or more values, produced asynchronously: ``await Flux.range(1, 5).map(str)...``."""

    __slots__ = ("source",)

    def __init__(self, source: _Source | None = None) -> None:
        self.source: _Source = source or _nothing

    # Constructors.

    @staticmethod
    def just(*items: T) -> Flux[T]:
        return Flux.from_iterable(items)

    @staticmethod
    def from_iterable(items: Iterable[T]) -> Flux[T]:
        """A Flux over ``items`` (iterated again on every subscription)."""
        values = items if isinstance(items, (list, tuple, range)) else list(items)

        async def source() -> AsyncIterator[T]:
            for item in values:
                yield item

        return Flux(source)

    @staticmethod
    def range(start: int, count: int) -> Flux[int]:
        """``start, start + 1, ..., start + count - 1``."""
        return Flux.from_iterable(builtins.range(start, start + count))

    @staticmethod
    def empty() -> Flux[Any]:
        return Flux(_nothing)

    @staticmethod
    def interval(period: float) -> Flux[int]:
        """0, 1, 2, ... one every ``period`` seconds, forever (use ``take``)."""

        async def source() -> AsyncIterator[int]:
            counter = 0
            while True:
                yield counter
                counter += 1
                await asyncio.sleep(period)

        return Flux(source)

    @staticmethod
    def merge(*fluxes: Flux[Any]) -> Flux[Any]:
        """Items of all the Fluxes as they arrive (the sources run concurrently)."""
        return Flux(flux_ops.merge(*fluxes))

    @staticmethod
    def concat(*fluxes: Flux[Any]) -> Flux[Any]:
        """Items of each Flux in turn."""
        return Flux(flux_ops.concat(*fluxes))

    @staticmethod
    def zip(*fluxes: Flux[Any]) -> Flux[tuple[Any, ...]]:
        """Tuples of the n-th item of every Flux; ends with the shortest."""
        return Flux(flux_ops.zip_all(*fluxes))

    # Per-item operators.

    def _pipe(self, step: Callable[[AsyncIterator[Any]], AsyncIterator[Any]]) -> Flux[Any]:
        upstream = self.source

        async def source() -> AsyncIterator[Any]:
            async with aclosing(upstream()) as items:  # type: ignore[type-var]
                async for item in step(items):
                    yield item

        return Flux(source)

    def map(self, mapper: Callable[[T], R]) -> Flux[R]:
        async def step(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
            async for item in items:
                yield mapper(item)

        return self._pipe(step)

    def filter(self, predicate: Callable[[T], bool]) -> Flux[T]:
        async def step(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
            async for item in items:
                if predicate(item):
                    yield item

        return self._pipe(step)

    def flat_map(self, mapper: Callable[[T], Flux[R]]) -> Flux[R]:
        """Each item's inner Flux, one after the other (in order)."""

        async def step(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
            async for item in items:
                async for inner in mapper(item):
                    yield inner

        return self._pipe(step)

    def take(self, count: int) -> Flux[T]:
        """The first ``count`` items; the source is not pulled further."""

        async def step(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
            if count <= 0:
                return
            seen = 0
            async for item in items:
                yield item
                seen += 1
                if seen >= count:
                    return

        return self._pipe(step)

    def skip(self, count: int) -> Flux[T]:
        async def step(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
            seen = 0
            async for item in items:
                if seen >= count:
                    yield item
                else:
                    seen += 1

        return self._pipe(step)

    def distinct(self) -> Flux[T]:
        """Each item once (items must be hashable)."""

        async def step(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
            seen: set[Any] = set()
            async for item in items:
                if item not in seen:
                    seen.add(item)
                    yield item

        return self._pipe(step)

    def reduce(self, initial: R, reducer: Callable[[R, T], R]) -> Flux[R]:
        """A Flux of one item: the fold of every item from ``initial``."""

        async def step(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
            acc = initial
            async for item in items:
                acc = reducer(acc, item)
            yield acc

        return self._pipe(step)

    def buffer(self, size: int) -> Flux[list[T]]:
        """Lists of ``size`` items (the last one may be shorter)."""
        if size < 1:
            raise ValueError(f"buffer needs size >= 1, got {size!r}")

        async def step(items: AsyncIterator[Any]) -> AsyncIterator[Any]:
            chunk: list[Any] = []
            async for item in items:
                chunk.append(item)
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        return self._pipe(step)

    def window(self, size: int | None = None, duration: float | None = None) -> Flux[Flux[T]]:
        """Windows of ``size`` items, or of ``duration`` seconds, each a Flux (else one window)."""
        return Flux(flux_ops.window(self, size, duration, Flux.from_iterable))

    def parallel(self, parallelism: int | None = None) -> Flux[T]:
        """Run ``_process_item`` on up to ``parallelism`` items at once, keeping the order."""
        limit = parallelism or min(os.cpu_count() or 1, 8)
        return Flux(flux_ops.parallel(self, self._process_item, limit))

    async def _process_item(self, item: T) -> T:
        """Per-item work of ``parallel`` (override in a subclass); the item by default."""
        return item

    def zip_with(self, other: Flux[R]) -> Flux[tuple[T, R]]:
        return Flux(flux_ops.zip_all(self, other))

    def merge_with(self, *others: Flux[T]) -> Flux[T]:
        return Flux(flux_ops.merge(self, *others))

    def concat_with(self, *others: Flux[T]) -> Flux[T]:
        return Flux(flux_ops.concat(self, *others))

    def sample(self, duration: float) -> Flux[T]:
        return Flux(flux_ops.sample(self, duration))

    def throttle(self, elements: int, duration: float) -> Flux[T]:
        return Flux(flux_ops.throttle(self, elements, duration))

    # Errors.

    def _on_error(self, handle: Callable[[Exception], Iterable[Any]]) -> Flux[Any]:
        """Items until an exception, then the items of ``handle(exc)``, then completion."""
        upstream = self.source

        async def source() -> AsyncIterator[Any]:
            try:
                async with aclosing(upstream()) as items:  # type: ignore[type-var]
                    async for item in items:
                        yield item
            except Exception as exc:
                for item in handle(exc):
                    yield item

        return Flux(source)

    def on_error_return(self, default_value: T) -> Flux[T]:
        """On an exception, emit ``default_value`` and complete."""
        return self._on_error(lambda _: (default_value,))

    def on_error_continue(
        self, error_handler: Callable[[Exception], object] | None = None
    ) -> Flux[T]:
        """On an exception, call ``error_handler(exc)`` and complete without raising.

        A failed async source cannot resume, so the items after the error are not produced.
        """

        def handle(exc: Exception) -> tuple[()]:
            if error_handler is not None:
                error_handler(exc)
            return ()

        return self._on_error(handle)

    def retry(self, max_attempts: int = 3, *, delay: float = 0.1) -> Flux[T]:
        """Subscribe again on an exception (up to ``max_attempts`` runs, ``delay * n`` apart).

        Items emitted before the error are emitted again by the next run, as in Reactor.
        """
        return Flux(flux_ops.retry(self, max_attempts, delay))

    # Terminals.

    async def collect_list(self) -> list[T]:
        return [item async for item in self]

    async def collect_set(self) -> set[T]:
        return {item async for item in self}

    async def count(self) -> int:
        total = 0
        async for _ in self:
            total += 1
        return total

    async def any(self, predicate: Callable[[T], bool]) -> bool:
        async with aclosing(self.source()) as items:  # type: ignore[type-var]
            async for item in items:
                if predicate(item):
                    return True
        return False

    async def all(self, predicate: Callable[[T], bool]) -> bool:
        async with aclosing(self.source()) as items:  # type: ignore[type-var]
            async for item in items:
                if not predicate(item):
                    return False
        return True

    async def subscribe(
        self,
        on_next: Callable[[T], object] | None = None,
        on_error: Callable[[Exception], object] | None = None,
        on_complete: Callable[[], object] | None = None,
    ) -> None:
        """Iterate to the end, passing each item, the exception (else raised) and completion."""
        try:
            async for item in self:
                if on_next is not None:
                    on_next(item)
        except Exception as exc:
            if on_error is None:
                raise
            on_error(exc)
            return
        if on_complete is not None:
            on_complete()

    def __aiter__(self) -> AsyncIterator[T]:
        return self.source()

    def __repr__(self) -> str:
        return f"Flux({type(self).__name__})"
