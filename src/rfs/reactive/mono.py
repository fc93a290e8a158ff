"""RFS v4's Reactor-style ``Mono``: a lazy async source of zero or one plain value.

``None`` means empty. Errors are exceptions (raised out of the await), not Results: for a
Result-typed pipeline use :class:`rfs.reactive.MonoResult`. Nothing runs until the Mono is
awaited (or ``block()``/``subscribe()`` is called); each await runs the source again,
unless ``cache()`` is used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

__all__ = ["Mono"]

T = TypeVar("T")
R = TypeVar("R")

_Source = Callable[[], Awaitable[Any]]


async def _none() -> None:
    return None


class Mono(Generic[T]):
    """Zero or one value, produced asynchronously: ``await Mono.just(2).map(str)``."""

    __slots__ = ("source",)

    def __init__(self, source: _Source | None = None) -> None:
        """Wrap ``source``, a function returning an awaitable of the value (None: empty)."""
        self.source: _Source = source or _none

    # Constructors.

    @staticmethod
    def just(value: T) -> Mono[T]:
        async def source() -> T:
            return value

        return Mono(source)

    @staticmethod
    def empty() -> Mono[Any]:
        return Mono(_none)

    @staticmethod
    def from_callable(callable_func: Callable[[], T]) -> Mono[T]:
        """A Mono calling ``callable_func()`` (awaiting it when it returns an awaitable)."""

        async def source() -> Any:
            value = callable_func()
            return await value if hasattr(value, "__await__") else value

        return Mono(source)

    @staticmethod
    def delay(duration: float, value: T | None = None) -> Mono[T]:
        async def source() -> T | None:
            await asyncio.sleep(duration)
            return value

        return Mono(source)

    # Operators.

    def _then(self, step: Callable[[Any], Awaitable[Any]]) -> Mono[Any]:
        upstream = self.source

        async def source() -> Any:
            return await step(await upstream())

        return Mono(source)

    def map(self, mapper: Callable[[T], R]) -> Mono[R]:
        async def step(value: Any) -> Any:
            return None if value is None else mapper(value)

        return self._then(step)

    def flat_map(self, mapper: Callable[[T], Mono[R]]) -> Mono[R]:
        async def step(value: Any) -> Any:
            return None if value is None else await mapper(value)

        return self._then(step)

    def filter(self, predicate: Callable[[T], bool]) -> Mono[T]:
        async def step(value: Any) -> Any:
            return value if value is not None and predicate(value) else None

        return self._then(step)

    def default_if_empty(self, default_value: T) -> Mono[T]:
        async def step(value: Any) -> Any:
            return default_value if value is None else value

        return self._then(step)

    or_else = default_if_empty

    def switch_if_empty(self, alternative: Mono[T]) -> Mono[T]:
        async def step(value: Any) -> Any:
            return await alternative if value is None else value

        return self._then(step)

    def do_on_next(self, action: Callable[[T], object]) -> Mono[T]:
        async def step(value: Any) -> Any:
            if value is not None:
                action(value)
            return value

        return self._then(step)

    def zip_with(self, other: Mono[R]) -> Mono[tuple[T, R]]:
        """Both values as a tuple (the two sources run one after the other); empty if either is."""

        async def step(value: Any) -> Any:
            second = await other
            return None if value is None or second is None else (value, second)

        return self._then(step)

    def then(self, next_mono: Mono[R]) -> Mono[R]:
        async def step(_: Any) -> Any:
            return await next_mono

        return self._then(step)

    def _guard(self, handle: Callable[[Exception], Awaitable[Any]]) -> Mono[Any]:
        upstream = self.source

        async def source() -> Any:
            try:
                return await upstream()
            except Exception as exc:
                return await handle(exc)

        return Mono(source)

    def on_error_return(self, fallback_value: T) -> Mono[T]:
        async def handle(_: Exception) -> Any:
            return fallback_value

        return self._guard(handle)

    def on_error_resume(self, fallback_mono: Mono[T]) -> Mono[T]:
        async def handle(_: Exception) -> Any:
            return await fallback_mono

        return self._guard(handle)

    def on_error_map(self, error_mapper: Callable[[Exception], Exception]) -> Mono[T]:
        """Raise ``error_mapper(exc)`` (chained to ``exc``) instead of an exception."""

        async def handle(exc: Exception) -> Any:
            raise error_mapper(exc) from exc

        return self._guard(handle)

    def do_on_error(self, action: Callable[[Exception], object]) -> Mono[T]:
        """Call ``action(exc)`` on an exception, then let it propagate."""

        async def handle(exc: Exception) -> Any:
            action(exc)
            raise exc

        return self._guard(handle)

    def do_finally(self, action: Callable[[], object]) -> Mono[T]:
        upstream = self.source

        async def source() -> Any:
            try:
                return await upstream()
            finally:
                action()

        return Mono(source)

    def timeout(self, duration: float) -> Mono[T]:
        """Raise ``TimeoutError`` (the source cancelled) if no value within ``duration``."""
        upstream = self.source

        async def source() -> Any:
            try:
                async with asyncio.timeout(duration):
                    return await upstream()
            except TimeoutError as exc:
                raise TimeoutError(f"Operation timed out after {duration} seconds") from exc

        return Mono(source)

    def retry(self, max_attempts: int = 3) -> Mono[T]:
        """Run the source up to ``max_attempts`` times while it raises; the last error escapes."""
        if max_attempts < 1:
            raise ValueError(f"retry needs max_attempts >= 1, got {max_attempts!r}")
        upstream = self.source

        async def source() -> Any:
            for attempt in range(max_attempts):
                try:
                    return await upstream()
                except Exception:
                    if attempt == max_attempts - 1:
                        raise
            return None  # pragma: no cover - the loop returns or raises

        return Mono(source)

    def cache(self) -> Mono[T]:
        """Run the source once (concurrent awaits share the run); an exception is not cached."""
        upstream = self.source
        state: dict[str, Any] = {}
        lock = asyncio.Lock()

        async def source() -> Any:
            if "value" in state:
                return state["value"]
            async with lock:
                if "value" not in state:
                    state["value"] = await upstream()
            return state["value"]

        return Mono(source)

    # Terminals.

    async def block(self, timeout: float | None = None) -> T | None:  # noqa: ASYNC109 - v4's API
        """The value (None if empty), waiting at most ``timeout`` seconds."""
        if timeout:
            async with asyncio.timeout(timeout):
                return await self.source()  # type: ignore[no-any-return]
        return await self.source()  # type: ignore[no-any-return]

    async def to_future(self) -> T | None:
        return await self.source()  # type: ignore[no-any-return]

    async def subscribe(
        self,
        on_success: Callable[[T], object] | None = None,
        on_error: Callable[[Exception], object] | None = None,
        on_complete: Callable[[], object] | None = None,
    ) -> None:
        """Run the Mono, passing its value, its exception (else raised) and completion on."""
        try:
            value = await self.source()
        except Exception as exc:
            if on_error is None:
                raise
            on_error(exc)
            return
        if value is not None and on_success is not None:
            on_success(value)
        if on_complete is not None:
            on_complete()

    def __await__(self) -> Generator[Any, None, T | None]:
        return self.source().__await__()

    def __repr__(self) -> str:
        return f"Mono({type(self).__name__})"
