"""RFS v4's ``ResultAsync`` and async Result helpers, built on :class:`MonoResult`.

A ``ResultAsync`` wraps one awaitable of a Result, runs it once and remembers the outcome
(each step too), as in v4. New code should use ``MonoResult``, which re-runs its recipe on
each await; ``ResultAsync`` is a ``MonoResult`` with ``.cache()`` after every step.
Unlike v4, an exception raised by a step function propagates (a bug is not a Failure),
except in ``from_awaitable``, ``async_try_except`` and ``async_result_decorator``, whose job
is to catch.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import Any, Generic, TypeVar

from rfs.reactive.mono_result import MonoResult
from rfs.result import Failure, Result, Success, sequence

__all__ = [
    "ResultAsync",
    "async_failure",
    "async_pipe_results",
    "async_result_decorator",
    "async_success",
    "async_try_except",
    "from_awaitable",
    "sequence_async",
    "sequence_async_v4",
    "traverse_async",
]

T = TypeVar("T")
E = TypeVar("E")
U = TypeVar("U")


class ResultAsync(Generic[T, E]):
    """An awaitable Result, resolved once: ``await ResultAsync(fetch()).map(f)``."""

    __slots__ = ("_mono",)

    _mono: MonoResult[T, E]

    def __init__(self, result: Awaitable[Result[T, E]]) -> None:
        self._mono = MonoResult.from_awaitable(result)

    @classmethod
    def from_value(cls, value: T) -> ResultAsync[T, Any]:
        """A resolved ``Success(value)``."""
        return _of(MonoResult.from_value(value))

    @classmethod
    def from_error(cls, error: E) -> ResultAsync[Any, E]:
        """A resolved ``Failure(error)``."""
        return _of(MonoResult.from_error(error))

    def __await__(self) -> Generator[Any, None, Result[T, E]]:
        return self._mono.__await__()

    async def to_result(self) -> Result[T, E]:
        """The Result."""
        return await self._mono

    async def is_success(self) -> bool:
        return (await self._mono).is_success()

    async def is_failure(self) -> bool:
        return (await self._mono).is_failure()

    async def unwrap(self) -> T:
        """The value; ``UnwrapError`` on a Failure."""
        return (await self._mono).unwrap()

    async def unwrap_or(self, default: T) -> T:
        return (await self._mono).unwrap_or(default)

    unwrap_or_async = unwrap_or

    def map(self, func: Callable[[T], U] | Callable[[T], Awaitable[U]]) -> ResultAsync[U, E]:
        """Transform the value with a sync or async function."""

        async def mapped(value: T) -> Result[U, E]:
            out: Any = func(value)
            if hasattr(out, "__await__"):
                out = await out
            return Success(out)

        return _of(self._mono.bind_async_result(mapped))

    map_async = map

    def bind(
        self,
        func: Callable[[T], Result[U, E]]
        | Callable[[T], Awaitable[Result[U, E]]]
        | Callable[[T], ResultAsync[U, E]],
    ) -> ResultAsync[U, E]:
        """Chain a function returning a Result, an awaitable of one, or a ResultAsync."""
        return _of(self._mono.bind_async_result(func))

    bind_async = bind

    def __repr__(self) -> str:
        return f"ResultAsync({self._mono!r})"


def _of(mono: MonoResult[Any, Any]) -> ResultAsync[Any, Any]:
    result: ResultAsync[Any, Any] = object.__new__(ResultAsync)
    result._mono = mono.cache()
    return result


def async_success(value: T) -> ResultAsync[T, Any]:
    """``ResultAsync.from_value(value)``."""
    return ResultAsync.from_value(value)


def async_failure(error: E) -> ResultAsync[Any, E]:
    """``ResultAsync.from_error(error)``."""
    return ResultAsync.from_error(error)


def from_awaitable(awaitable: Awaitable[T]) -> ResultAsync[T, Exception]:
    """``Success(await awaitable)``, or ``Failure(exc)`` if it raises an ``Exception``."""

    async def convert() -> Result[T, Exception]:
        try:
            return Success(await awaitable)
        except Exception as exc:
            return Failure(exc)

    return ResultAsync(convert())


async def async_try_except(func: Callable[[], Any] | Awaitable[Any]) -> Result[Any, Exception]:
    """Call ``func()`` (awaiting what it returns) or await an awaitable; catch into Failure."""
    try:
        value = func() if callable(func) else func
        if hasattr(value, "__await__"):
            value = await value
        return Success(value)
    except Exception as exc:
        return Failure(exc)


def async_result_decorator(
    func: Callable[..., Any],
) -> Callable[..., Awaitable[Result[Any, Exception]]]:
    """Wrap a sync or async function: its value becomes Success, an exception Failure."""

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Result[Any, Exception]:
        try:
            value = func(*args, **kwargs)
            if hasattr(value, "__await__"):
                value = await value
            return Success(value)
        except Exception as exc:
            return Failure(exc)

    return wrapper


async def _resolve(item: Any) -> Result[Any, Any]:
    if isinstance(item, Result):
        return item
    value = await item
    return value if isinstance(value, Result) else Success(value)


async def sequence_async(results: Iterable[Any]) -> Result[list[Any], Any]:
    """Results or awaitables of Results, awaited concurrently; the first Failure (in order) wins."""
    resolved = await asyncio.gather(*(_resolve(item) for item in results))
    return sequence(resolved)


async def traverse_async(items: Iterable[T], func: Callable[[T], Any]) -> Result[list[Any], Any]:
    """``func(item)`` for each item, awaited concurrently; a plain value counts as Success."""
    return await sequence_async([func(item) for item in items])


async def sequence_async_v4(results: Iterable[Any]) -> ResultAsync[list[Any], Any]:
    """RFS v4's ``sequence_async_v4``: ``await`` it for a ResultAsync of the sequenced list."""
    return ResultAsync(sequence_async(list(results)))


class _AsyncPipeline:
    """``async_pipe_results`` result: call it (``await pipeline(value)``) or await it first."""

    __slots__ = ("_funcs",)

    def __init__(self, funcs: tuple[Callable[[Any], Any], ...]) -> None:
        self._funcs = funcs

    async def __call__(self, value: Any) -> Result[Any, Any]:
        result: Result[Any, Any] = Success(value)
        for func in self._funcs:
            if type(result) is Failure:
                break
            out = func(result.unwrap())
            result = await out if hasattr(out, "__await__") else out
        return result

    def __await__(self) -> Generator[Any, None, _AsyncPipeline]:
        return self
        yield  # pragma: no cover - makes this a generator


def async_pipe_results(*funcs: Callable[[Any], Any]) -> _AsyncPipeline:
    """A pipeline binding sync or async Result functions in order (first Failure stops it).

    ``await async_pipe_results(f, g)`` gives the pipeline, as in v4; calling it directly works.
    """
    return _AsyncPipeline(funcs)
