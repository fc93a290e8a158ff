"""Async stream plumbing for ``FluxResult``: user sources and the ordered bounded map."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterator,
)
from typing import Any

from rfs.result import Result, Success

__all__ = ["AsyncSource", "bounded_map"]

_END: Any = object()


class AsyncSource:
    """Stream factory over a user's async iterable, refusing to replay a one-shot iterator."""

    __slots__ = ("_consumed", "_items")

    def __init__(self, items: AsyncIterable[Any]) -> None:
        self._items = items
        self._consumed = False

    async def __call__(self) -> AsyncGenerator[Result[Any, Any], None]:
        iterator = aiter(self._items)
        if iterator is self._items:
            if self._consumed:
                raise RuntimeError(
                    "this FluxResult streams a one-shot async iterator that was already "
                    "consumed; keep the materialized Flux instead (`flux = await flux`)"
                )
            self._consumed = True
        try:
            async for item in iterator:
                yield item if isinstance(item, Result) else Success(item)
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()


async def bounded_map(
    source: Iterator[Result[Any, Any]] | AsyncIterator[Result[Any, Any]],
    fn: Callable[[Any], Any],
    limit: int,
    *,
    wrap: bool,
    step: str,
) -> AsyncGenerator[Result[Any, Any], None]:
    """Run ``fn`` on each Success value, at most ``limit`` at once, yielding in input order.

    ``pending`` holds, in input order, Failures passing through and tasks; it never grows
    past ``2 * limit``, so memory stays bounded however long the source is. An async source
    is pulled in its own task while work is pending, so finished heads are yielded without
    waiting for the next source item.
    """
    sync_source = None if hasattr(source, "__anext__") else source
    async_source: Any = source
    pending: deque[Any] = deque()
    window = 2 * limit
    running = 0
    broken: list[asyncio.Future[Any]] = []
    wake = asyncio.Event()
    pull: asyncio.Future[Any] | None = None
    exhausted = False

    def finished(task: asyncio.Future[Any]) -> None:
        nonlocal running
        running -= 1
        if not task.cancelled() and task.exception() is not None:
            broken.append(task)
        wake.set()

    def woken(_: asyncio.Future[Any]) -> None:
        wake.set()

    try:
        while True:
            if broken:
                raise broken[0].exception()  # type: ignore[misc]
            while pending:
                head = pending[0]
                if isinstance(head, Result):
                    pending.popleft()
                    yield head
                elif head.done():
                    pending.popleft()
                    value = head.result()
                    if wrap:
                        yield Success(value)
                    elif isinstance(value, Result):
                        yield value
                    else:
                        raise TypeError(f"{step}: {fn!r} must return a Result, returned {value!r}")
                else:
                    break
            while not exhausted and running < limit and len(pending) < window:
                if sync_source is not None:
                    item = next(sync_source, _END)
                elif not pending and pull is None:
                    item = await anext(async_source, _END)
                else:
                    if pull is None:
                        pull = asyncio.ensure_future(anext(async_source, _END))
                        pull.add_done_callback(woken)
                    if not pull.done():
                        break
                    item, pull = pull.result(), None
                if item is _END:
                    exhausted = True
                elif isinstance(item, Success):
                    out = fn(item.value)
                    if hasattr(out, "__await__"):
                        task = asyncio.ensure_future(out)
                        running += 1
                        task.add_done_callback(finished)
                        pending.append(task)
                    elif wrap:  # a sync function: its value is ready
                        pending.append(Success(out))
                    elif isinstance(out, Result):
                        pending.append(out)
                    else:
                        raise TypeError(f"{step}: {fn!r} must return a Result, returned {out!r}")
                else:
                    pending.append(item)
            if pending:
                head = pending[0]
                if isinstance(head, Result) or head.done() or broken:
                    continue
            elif exhausted:
                return
            wake.clear()
            await wake.wait()
    finally:
        leftovers = [item for item in pending if isinstance(item, asyncio.Future)]
        if pull is not None:
            leftovers.append(pull)
        for future in leftovers:
            future.cancel()
        if leftovers:
            await asyncio.gather(*leftovers, return_exceptions=True)
        aclose = getattr(async_source, "aclose", None)
        if sync_source is None and aclose is not None:
            await aclose()
