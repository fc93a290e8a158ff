"""Combining and time-based operators of :class:`rfs.reactive.flux.Flux` (and ``Operators``).

Each operator takes async iterables (Fluxes) and returns a *source*, a function giving a
fresh async iterator, which ``Flux`` wraps. Concurrent sources are consumed by tasks feeding
one queue; leaving the stream early cancels them, so nothing keeps running behind a ``take``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Any

from rfs.reactive._streams import bounded_map
from rfs.result import Success

__all__ = [
    "combine_latest",
    "concat",
    "merge",
    "parallel",
    "retry",
    "sample",
    "throttle",
    "window",
    "zip_all",
]

_DONE: Any = object()

Source = Callable[[], AsyncIterator[Any]]
Stream = AsyncIterable[Any]


async def _fan_in(
    sources: tuple[Stream, ...], on_item: Callable[[int, Any], Any]
) -> AsyncGenerator[Any, None]:
    """Consume every source concurrently; yield ``on_item(index, item)`` (skipping None)."""
    queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()

    async def pump(index: int, source: Any) -> None:
        try:
            async for item in source:
                await queue.put((index, item))
        except BaseException as exc:
            await queue.put((-1, exc))
            raise
        await queue.put((index, _DONE))

    tasks = [asyncio.ensure_future(pump(i, source)) for i, source in enumerate(sources)]
    active = len(tasks)
    try:
        while active:
            index, item = await queue.get()
            if index < 0:
                raise item
            if item is _DONE:
                active -= 1
                continue
            out = on_item(index, item)
            if out is not None:
                yield out
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def merge(*fluxes: Stream) -> Source:
    """Items of all the Fluxes as they arrive (sources run concurrently)."""

    async def source() -> AsyncIterator[Any]:
        async with aclosing(_fan_in(fluxes, lambda _, item: (item,))) as items:
            async for (item,) in items:
                yield item

    return source


def combine_latest(*fluxes: Stream) -> Source:
    """A tuple of every source's latest item, each time one emits (once all have emitted)."""

    async def source() -> AsyncIterator[Any]:
        latest: list[Any] = [_DONE] * len(fluxes)

        def update(index: int, item: Any) -> tuple[Any, ...] | None:
            latest[index] = item
            return None if _DONE in latest else tuple(latest)

        async with aclosing(_fan_in(fluxes, update)) as items:
            async for item in items:
                yield item

    return source


def concat(*fluxes: Stream) -> Source:
    """Items of each Flux in turn."""

    async def source() -> AsyncIterator[Any]:
        for flux in fluxes:
            async for item in flux:
                yield item

    return source


def zip_all(*fluxes: Stream) -> Source:
    """Tuples of the n-th item of every Flux; ends with the shortest."""

    async def source() -> AsyncIterator[Any]:
        iterators = [aiter(flux) for flux in fluxes]
        try:
            while True:
                row = []
                for iterator in iterators:
                    item = await anext(iterator, _DONE)
                    if item is _DONE:
                        return
                    row.append(item)
                yield tuple(row)
        finally:
            for iterator in iterators:
                aclose = getattr(iterator, "aclose", None)
                if aclose is not None:
                    await aclose()

    return source


def parallel(flux: Stream, work: Callable[[Any], Awaitable[Any]], limit: int) -> Source:
    """``await work(item)`` for up to ``limit`` items at once, in input order."""

    async def source() -> AsyncIterator[Any]:
        async def wrapped() -> AsyncIterator[Any]:
            async for item in flux:
                yield Success(item)

        async with aclosing(bounded_map(wrapped(), work, limit, wrap=True, step="parallel")) as out:
            async for result in out:
                yield result.unwrap()

    return source


def window(
    flux: Stream, size: int | None, duration: float | None, make: Callable[[list[Any]], Any]
) -> Source:
    """Windows of ``size`` items or ``duration`` seconds, each ``make(items)``; else one window."""

    async def source() -> AsyncIterator[Any]:
        items: list[Any] = []
        started = time.monotonic()
        async for item in flux:
            items.append(item)
            full = size is not None and len(items) >= size
            late = size is None and duration is not None and time.monotonic() - started >= duration
            if full or late:
                yield make(items)
                items, started = [], time.monotonic()
        if items or (size is None and duration is None):
            yield make(items)

    return source


def sample(flux: Stream, duration: float) -> Source:
    """The latest item once every ``duration`` seconds (and the last one at the end)."""

    async def source() -> AsyncIterator[Any]:
        latest, pending, last = None, False, time.monotonic()
        async for item in flux:
            latest, pending = item, True
            now = time.monotonic()
            if now - last >= duration:
                yield latest
                pending, last = False, now
        if pending:
            yield latest

    return source


def throttle(flux: Stream, elements: int, duration: float) -> Source:
    """At most ``elements`` items per ``duration`` seconds: waits rather than drops."""

    async def source() -> AsyncIterator[Any]:
        count, start = 0, time.monotonic()
        async for item in flux:
            now = time.monotonic()
            if now - start >= duration:
                count, start = 0, now
            if count >= elements:
                await asyncio.sleep(max(0.0, duration - (now - start)))
                count, start = 0, time.monotonic()
            yield item
            count += 1

    return source


def retry(flux: Stream, max_attempts: int, delay: float) -> Source:
    """Subscribe again after an exception, up to ``max_attempts`` runs in all."""
    if max_attempts < 1:
        raise ValueError(f"retry needs max_attempts >= 1, got {max_attempts!r}")

    async def source() -> AsyncIterator[Any]:
        for attempt in range(1, max_attempts + 1):
            try:
                async for item in flux:
                    yield item
                return
            except Exception:
                if attempt >= max_attempts:
                    raise
                await asyncio.sleep(delay * attempt)

    return source
