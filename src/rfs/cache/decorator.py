"""``@cached``: Result-aware caching of sync and async functions and methods.

A hit costs one key build and one in-memory lookup; everything else (misses, stale values,
single-flight, the distributed lock) is in ``rfs.cache.engine``.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, ParamSpec, Protocol, Self, TypeVar, overload

from rfs.cache.defaults import default_backend
from rfs.cache.engine import CacheCore
from rfs.cache.errors import CacheBackendError
from rfs.cache.ports import CacheBackend
from rfs.cache.strategy import CacheStrategy, resolve_ttl
from rfs.result import Failure, Result, Success

__all__ = ["AsyncCachedFunction", "CachedFunction", "cached", "core_of"]

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class CachedFunction(Protocol[P, R_co]):
    """A sync function wrapped by ``@cached``, with its cache controls."""

    __rfs_cache__: CacheCore

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Callable[..., R_co]: ...

    def key_for(self, *args: Any, **kwargs: Any) -> str: ...

    def invalidate(self, *args: Any, **kwargs: Any) -> Result[int, CacheBackendError]: ...

    def stats(self) -> dict[str, Any]: ...


class AsyncCachedFunction(Protocol[P, R_co]):
    """An async function wrapped by ``@cached``, with its cache controls."""

    __rfs_cache__: CacheCore

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R_co]: ...

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(
        self, instance: object, owner: type | None = None
    ) -> Callable[..., Coroutine[Any, Any, R_co]]: ...

    def key_for(self, *args: Any, **kwargs: Any) -> str: ...

    def invalidate(
        self, *args: Any, **kwargs: Any
    ) -> Awaitable[Result[int, CacheBackendError]]: ...

    def refresh(self, *args: Any, **kwargs: Any) -> Awaitable[R_co]: ...

    def stats(self) -> dict[str, Any]: ...


class _Decorator(Protocol):
    @overload
    def __call__(  # type: ignore[overload-overlap]
        self, fn: Callable[P, Coroutine[Any, Any, R]]
    ) -> AsyncCachedFunction[P, R]: ...

    @overload
    def __call__(self, fn: Callable[P, R]) -> CachedFunction[P, R]: ...


def core_of(fn: Any) -> CacheCore:
    """The cache behind a ``@cached`` function (raises ``TypeError`` for any other callable)."""
    core = getattr(fn, "__rfs_cache__", None)
    if not isinstance(core, CacheCore):
        raise TypeError(f"{fn!r} is not a @cached function")
    return core


def _sync_wrapper(core: CacheCore) -> Callable[..., Any]:
    fn, build, clock, stats = core.fn, core.keys.build, core.clock, core.stats
    if core.local is None:
        raise TypeError(
            f"{core.name} is a sync function, so it needs an in-process backend such as "
            f"MemoryBackend; {type(core.backend).__name__} is async: make the function async"
        )
    local = core.local
    peek, resolve = local.peek, core.resolve_sync

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = build(args, kwargs)
        entry = peek(key)
        if entry is not None and entry.fresh_until > clock():
            stats.hits += 1
            return entry.value
        return resolve(key, entry, args, kwargs)

    def invalidate(*args: Any, **kwargs: Any) -> Result[int, CacheBackendError]:
        return Success(local.remove([core.keys.for_invalidate(args, kwargs)]))

    wrapper.invalidate = invalidate  # type: ignore[attr-defined]
    return wrapper


def _async_wrapper(core: CacheCore) -> Callable[..., Any]:
    fn, build, clock, stats = core.fn, core.keys.build, core.clock, core.stats
    peek, resolve = core.peek, core.resolve

    if peek is None:

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await resolve(build(args, kwargs), None, args, kwargs)

    else:
        peek_ = peek

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = build(args, kwargs)
            entry = peek_(key)
            if entry is not None and entry.fresh_until > clock():
                stats.hits += 1
                return entry.value
            return await resolve(key, entry, args, kwargs)

    async def invalidate(*args: Any, **kwargs: Any) -> Result[int, CacheBackendError]:
        try:
            return Success(await core.backend.delete([core.keys.for_invalidate(args, kwargs)]))
        except CacheBackendError as exc:
            return Failure(exc)

    async def refresh(*args: Any, **kwargs: Any) -> Any:
        """Load now and store the outcome, whatever is cached."""
        return await core.reload(build(args, kwargs), args, kwargs)

    wrapper.invalidate = invalidate  # type: ignore[attr-defined]
    wrapper.refresh = refresh  # type: ignore[attr-defined]
    return wrapper


def _passthrough(fn: Callable[..., Any], core: CacheCore) -> Callable[..., Any]:
    """``CacheStrategy.NEVER``: call through, count misses."""
    stats = core.stats
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            stats.misses += 1
            return await fn(*args, **kwargs)

        async def ainvalidate(*args: Any, **kwargs: Any) -> Result[int, CacheBackendError]:
            return Success(0)

        awrapper.invalidate = ainvalidate  # type: ignore[attr-defined]
        return awrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        stats.misses += 1
        return fn(*args, **kwargs)

    wrapper.invalidate = lambda *args, **kwargs: Success(0)  # type: ignore[attr-defined]
    return wrapper


@overload
def cached(  # type: ignore[overload-overlap]
    fn: Callable[P, Coroutine[Any, Any, R]], /
) -> AsyncCachedFunction[P, R]: ...


@overload
def cached(fn: Callable[P, R], /) -> CachedFunction[P, R]: ...


@overload
def cached(
    fn: None = None,
    /,
    *,
    ttl: float | None = None,
    strategy: CacheStrategy | str | None = None,
    key: str | Callable[..., str] | None = None,
    tags: Sequence[str] = (),
    backend: CacheBackend | None = None,
    stale_ttl: float = 0.0,
    cache_failures: float | None = None,
    timeout: float | None = None,
    fail_safe_throttle: float = 5.0,
) -> _Decorator: ...


def cached(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    ttl: float | None = None,
    strategy: CacheStrategy | str | None = None,
    key: str | Callable[..., str] | None = None,
    tags: Sequence[str] = (),
    backend: CacheBackend | None = None,
    stale_ttl: float = 0.0,
    cache_failures: float | None = None,
    timeout: float | None = None,
    fail_safe_throttle: float = 5.0,
) -> Any:
    """Cache what ``fn`` returns, per argument list.

    ``ttl`` (seconds) or ``strategy`` (a ``CacheStrategy`` or its name) sets freshness
    (default ``MEDIUM``, one hour). ``key`` is a template over the parameters
    (``"user:{user_id}"``) or a function of the call's arguments; by default it is
    ``module.qualname(<arguments>)`` with a method's ``self``/``cls`` left out. ``tags`` label
    entries for ``invalidate_tags`` (templates allowed: ``"user:{user_id}"``). ``backend``
    defaults to the process's ``MemoryBackend``.

    Results: a ``Success`` (or a plain value) is cached; a ``Failure`` only when
    ``cache_failures`` gives it a TTL; an exception never. ``stale_ttl`` keeps a value past
    its TTL as a fallback: when a refresh fails or takes longer than ``timeout`` seconds, the
    stale value is returned (``timeout=0``: always at once) and the refresh goes on in the
    background; after a failed refresh the stale value counts as fresh for
    ``fail_safe_throttle`` seconds, so a failing source is not called on every request.
    Concurrent misses of a key run ``fn`` once.
    """

    def decorate(function: Callable[..., Any]) -> Any:
        resolved = resolve_ttl(ttl, strategy)
        store = backend if backend is not None else default_backend()
        core = CacheCore(
            function,
            ttl=resolved,
            backend=store,
            key=key,
            tags=tags,
            stale_ttl=stale_ttl,
            cache_failures=cache_failures,
            timeout=timeout,
            fail_safe_throttle=fail_safe_throttle,
            clock=getattr(store, "clock", None) or time.time,
        )
        if resolved is None:
            wrapper = _passthrough(function, core)
        elif inspect.iscoroutinefunction(function):
            wrapper = _async_wrapper(core)
        else:
            wrapper = _sync_wrapper(core)
        wrapper.__rfs_cache__ = core  # type: ignore[attr-defined]
        wrapper.key_for = lambda *a, **kw: core.keys.build(a, kw)  # type: ignore[attr-defined]
        wrapper.stats = core.stats.as_dict  # type: ignore[attr-defined]
        return wrapper

    return decorate if fn is None else decorate(fn)
