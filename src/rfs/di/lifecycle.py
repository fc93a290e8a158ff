"""Lifecycle of created objects: start hooks, context managers, generator teardown, closing."""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from functools import partial
from typing import Any

from rfs.di.errors import AsyncResolutionError, RegistrationError

Closer = Callable[[], Any]
HOOK_NAMES = ("on_start", "on_stop", "__enter__", "__exit__", "__aenter__", "__aexit__")


_HOOKS = frozenset(HOOK_NAMES)


def class_hooks(cls: type) -> frozenset[str]:
    """Which lifecycle names ``cls`` (or a base other than ``object``) defines."""
    found: set[str] = set()
    for klass in cls.__mro__[:-1]:
        found.update(_HOOKS.intersection(klass.__dict__))
    return frozenset(found)


def _lookup(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def needs_await(provider: Any, tracked: bool, hooks: frozenset[str] | None = None) -> bool:
    """Whether creating an object from ``provider`` needs an event loop."""
    if provider is None:
        return False
    if not isinstance(provider, type):
        return inspect.iscoroutinefunction(provider) or inspect.isasyncgenfunction(provider)
    if hooks is None:
        hooks = class_hooks(provider)
    if not hooks:
        return False
    if "on_start" in hooks and inspect.iscoroutinefunction(_lookup(provider, "on_start")):
        return True
    return tracked and "__aenter__" in hooks and "__enter__" not in hooks


def _await_needed(label: str, what: str) -> AsyncResolutionError:
    return AsyncResolutionError(
        f"{label}: {what} needs await; resolve it with `await registry.aresolve(...)`, or create "
        "singletons up front with `await registry.start()`",
        (label,),
    )


def first_from_generator(gen: Generator[Any, None, None], closers: list[Closer]) -> Any:
    """Run a generator factory to its ``yield``; its rest runs at close."""
    value = next(gen)
    closers.append(partial(_finish_generator, gen))
    return value


def _finish_generator(gen: Generator[Any, None, None]) -> None:
    try:
        next(gen)
    except StopIteration:
        return
    raise RegistrationError(
        f"factory generator {getattr(gen, '__name__', gen)!r} must yield exactly once"
    )


async def first_from_async_generator(gen: AsyncGenerator[Any, None], closers: list[Closer]) -> Any:
    """Run an async generator factory to its ``yield``; its rest runs at close."""
    value = await gen.__anext__()
    closers.append(partial(_finish_async_generator, gen))
    return value


async def _finish_async_generator(gen: AsyncGenerator[Any, None]) -> None:
    try:
        await gen.__anext__()
    except StopAsyncIteration:
        return
    raise RegistrationError(
        f"factory generator {getattr(gen, '__name__', gen)!r} must yield exactly once"
    )


def start_sync(obj: Any, closers: list[Closer] | None, label: str) -> None:
    """Call ``on_start``, enter a context manager, and queue ``on_stop``/exit on ``closers``.

    ``closers`` is ``None`` for prototypes: they are not tracked, so only ``on_start`` runs.
    """
    on_start = getattr(obj, "on_start", None)
    if on_start is not None:
        result = on_start()
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise _await_needed(label, "its async on_start()")
    if closers is None:
        return
    if hasattr(obj, "__enter__") and hasattr(obj, "__exit__"):
        obj.__enter__()
        closers.append(partial(obj.__exit__, None, None, None))
    elif hasattr(obj, "__aenter__"):
        raise _await_needed(label, "entering its async context manager")
    on_stop = getattr(obj, "on_stop", None)
    if on_stop is not None:
        closers.append(on_stop)


async def start_async(obj: Any, closers: list[Closer] | None) -> None:
    """Async twin of :func:`start_sync`: awaits hooks and prefers ``__aenter__``."""
    on_start = getattr(obj, "on_start", None)
    if on_start is not None:
        result = on_start()
        if inspect.isawaitable(result):
            await result
    if closers is None:
        return
    if hasattr(obj, "__aenter__") and hasattr(obj, "__aexit__"):
        await obj.__aenter__()
        closers.append(partial(obj.__aexit__, None, None, None))
    elif hasattr(obj, "__enter__") and hasattr(obj, "__exit__"):
        obj.__enter__()
        closers.append(partial(obj.__exit__, None, None, None))
    on_stop = getattr(obj, "on_stop", None)
    if on_stop is not None:
        closers.append(on_stop)


async def close_all(closers: list[Closer]) -> list[Exception]:
    """Run closers newest first; every closer runs even when one fails. Returns the failures."""
    errors: list[Exception] = []
    while closers:
        closer = closers.pop()
        try:
            result = closer()
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            errors.append(exc)
    return errors


def close_all_sync(closers: list[Closer], label: str) -> list[Exception]:
    """Run closers newest first without a loop; an async closer is reported, not skipped."""
    errors: list[Exception] = []
    while closers:
        closer = closers.pop()
        try:
            result = closer()
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                errors.append(_await_needed(label, "closing an async resource"))
        except Exception as exc:
            errors.append(exc)
    return errors
