"""Cache warming (seed 003): load keys ahead of traffic, or from a start-up hook."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rfs.cache.decorator import core_of
from rfs.result import Failure, Result, Success

__all__ = ["warm", "warmer"]


def _call_args(item: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if isinstance(item, tuple):
        return item, {}
    if isinstance(item, dict):
        return (), item
    return (item,), {}


async def warm(
    fn: Callable[..., Any], calls: Iterable[Any], *, concurrency: int = 8, refresh: bool = False
) -> Result[int, list[tuple[Any, BaseException | Failure[Any]]]]:
    """Load ``fn`` for each of ``calls`` (a tuple: positional arguments; a dict: keyword
    arguments; anything else: the one argument) so the first real call hits.

    ``refresh=True`` reloads keys already cached. ``Success(number warmed)``, or the calls
    that failed with their ``Failure`` or exception (the others are warmed).
    """
    core = core_of(fn)
    target: Any = fn  # a @cached function: it has invalidate() and refresh()
    gate = asyncio.Semaphore(concurrency)
    failed: list[tuple[Any, BaseException | Failure[Any]]] = []
    is_async = inspect.iscoroutinefunction(core.fn)

    async def one(item: Any) -> None:
        args, kwargs = _call_args(item)
        async with gate:
            try:
                if not is_async:
                    if refresh:
                        target.invalidate(*args, **kwargs)
                    outcome = await asyncio.to_thread(fn, *args, **kwargs)
                elif refresh:
                    outcome = await target.refresh(*args, **kwargs)
                else:
                    outcome = await fn(*args, **kwargs)
            except Exception as exc:
                failed.append((item, exc))
                return
            if isinstance(outcome, Failure):
                failed.append((item, outcome))

    items = list(calls)
    await asyncio.gather(*(one(item) for item in items))
    return Failure(failed) if failed else Success(len(items))


def warmer(
    fn: Callable[..., Any], calls: Iterable[Any], **options: Any
) -> Callable[[], Awaitable[Result[int, list[tuple[Any, BaseException | Failure[Any]]]]]]:
    """A zero-argument coroutine function warming ``fn`` for ``calls``: a warm-up hook to hand
    to a cold-start optimizer or a startup event."""
    items = list(calls)
    core_of(fn)  # fail now, not at start-up

    async def hook() -> Result[int, list[tuple[Any, BaseException | Failure[Any]]]]:
        return await warm(fn, items, **options)

    return hook
