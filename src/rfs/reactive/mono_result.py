"""``MonoResult``: a lazy, re-awaitable async pipeline that produces one ``Result``.

A ``MonoResult`` is a recipe: a source (a Result, or a function returning an awaitable of
one) and steps. Each step is one linked node pointing at the Mono it extends, so adding a
step copies nothing; the first await flattens the chain into a plan, kept on the node.
Nothing runs until it is awaited, and each await runs the whole recipe again, unless
``.cache()`` is used. The steps of one pipeline run in a single coroutine (no coroutine
per step), so a chain costs little more than the awaits it makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import CoroutineType
from typing import Any, Generic, Never, TypeVar, overload

from rfs._aliases import accepts
from rfs._backoff import ceiling
from rfs.reactive._mono_sources import AwaitOnce as _AwaitOnce
from rfs.reactive._mono_sources import Once as _Once
from rfs.reactive._mono_sources import OperationTimeoutError
from rfs.reactive._mono_sources import Retry as _Retry
from rfs.reactive._mono_sources import Timeout as _Timeout
from rfs.result import Failure, Result, Success

__all__ = ["MonoResult", "OperationTimeoutError"]

T = TypeVar("T")
E = TypeVar("E")
U = TypeVar("U")
F = TypeVar("F")
T_co = TypeVar("T_co", covariant=True)
E_co = TypeVar("E_co", covariant=True)

logger = logging.getLogger("rfs.reactive")
_perf_counter = time.perf_counter
_Coroutine = CoroutineType
_object_new: Callable[[type[MonoResult[Any, Any]]], MonoResult[Any, Any]] = object.__new__
if os.environ.get("RFS_PURE_PYTHON") != "1":
    with contextlib.suppress(ImportError):  # no compiler at install time: object.__new__
        from rfs._speedups import allocate as _object_new

# Source kinds (the root node's ``_kind``).
_READY = -1  # _fn is a Result
_CALL = -2  # _fn() returns a Result or an awaitable of one

# Step kinds, dispatched in ``MonoResult.__await__``.
_MAP = 0  # result.map(fn)
_MAP_ERROR = 1  # result.map_error(fn)
_BIND = 2  # result.bind(fn)
_BIND_ASYNC = 3  # on Success: await fn(value)
_TAP = 4  # result.tap(fn)
_TAP_ERROR = 5  # result.tap_error(fn)
_RECOVER = 6  # on Failure: fn(error), a Result
_RECOVER_ANY = 7  # on Failure: fn(error), a Result or an awaitable of one
_LOG = 8  # log (name, errors_only)


class MonoResult(Generic[T_co, E_co]):
    """A lazy, awaitable pipeline producing one ``Result[T, E]`` (Reactor's Mono, Result-typed).

    Build it with a constructor (``from_async_result``, ``from_value``...), add steps, then
    ``await mono`` or ``await mono.to_result()``. Functions passed to steps that raise are
    bugs: the exception propagates out of the await (use ``rfs.result.safe`` to turn an
    expected exception into a ``Failure``).

    Example::

        result = await (
            MonoResult.from_async_result(lambda: fetch_user(user_id))
            .bind_result(validate)
            .map_error(to_api_error)
            .timeout(5.0)
            .to_result()
        )
    """

    __slots__ = ("_fn", "_kind", "_plan", "_prev")

    _prev: MonoResult[Any, Any] | None  # the Mono this step extends; None at the source
    _kind: int  # a step kind, or _READY / _CALL at the source
    _fn: Any  # the step's function, or the source
    _plan: tuple[int, Any, tuple[tuple[int, Any], ...], bool] | None  # flattened on first run

    @accepts(func="async_func")
    def __init__(
        self, async_func: Callable[[], Awaitable[Result[T_co, E_co]] | Result[T_co, E_co]]
    ) -> None:
        """Wrap a function returning an awaitable of a Result (same as ``from_async_result``)."""
        if not callable(async_func):
            raise _not_a_function("MonoResult", async_func)
        self._prev = None
        self._kind = _CALL
        self._fn = async_func
        self._plan = None

    # Constructors.

    @staticmethod
    def from_result(result: Result[T, E]) -> MonoResult[T, E]:
        """A Mono yielding ``result`` on every await."""
        if not isinstance(result, Result):
            raise TypeError(f"MonoResult.from_result needs a Result, got {result!r}")
        return _source(_READY, result)

    @staticmethod
    def from_value(value: T) -> MonoResult[T, Never]:
        """A Mono yielding ``Success(value)``."""
        return _source(_READY, Success(value))

    @staticmethod
    def from_error(error: E) -> MonoResult[Never, E]:
        """A Mono yielding ``Failure(error)``."""
        return _source(_READY, Failure(error))

    @staticmethod
    @accepts(async_func="fn")
    def from_async_result(
        fn: Callable[[], Awaitable[Result[T, E]] | Result[T, E]],
    ) -> MonoResult[T, E]:
        """A Mono calling ``fn()`` and awaiting its Result on every await (a sync fn works too)."""
        if not callable(fn):
            raise _not_a_function("MonoResult.from_async_result", fn)
        return _source(_CALL, fn)

    @overload
    @staticmethod
    def from_awaitable(  # type: ignore[overload-overlap]
        awaitable: Awaitable[Result[T, E]],
    ) -> MonoResult[T, E]: ...
    @overload
    @staticmethod
    def from_awaitable(awaitable: Awaitable[T]) -> MonoResult[T, Never]: ...
    @staticmethod
    def from_awaitable(awaitable: Awaitable[Any]) -> MonoResult[Any, Any]:
        """A Mono over one awaitable (a coroutine, task or future), which can run only once.

        Its outcome is therefore cached: the first await of the Mono awaits it, later awaits
        get the same Result. A value that is not a Result is wrapped in ``Success``. Use
        ``from_async_result(fn)`` for a source that runs again on each await.
        """
        if not hasattr(type(awaitable), "__await__"):
            raise TypeError(f"MonoResult.from_awaitable needs an awaitable, got {awaitable!r}")
        return _source(_CALL, _Once(_source(_CALL, _AwaitOnce(awaitable))))

    # Steps on the value.

    @accepts(func="fn")
    def map(self, fn: Callable[[T_co], U]) -> MonoResult[U, E_co]:
        """Transform the success value; a Failure passes through."""
        return _step(self, _MAP, fn)

    @accepts(func="fn")
    def bind_result(self, fn: Callable[[T_co], Result[U, F]]) -> MonoResult[U, E_co | F]:
        """Chain a function returning a Result on the success value."""
        return _step(self, _BIND, fn)

    @accepts(func="fn")
    def bind_async_result(
        self, fn: Callable[[T_co], Awaitable[Result[U, F]] | Result[U, F]]
    ) -> MonoResult[U, E_co | F]:
        """Chain an async function returning a Result on the success value (a sync one works)."""
        return _step(self, _BIND_ASYNC, fn)

    @accepts(action="fn")
    def tap(self, fn: Callable[[T_co], object]) -> MonoResult[T_co, E_co]:
        """Call ``fn(value)`` on success for its side effect (awaited if async)."""
        return _step(self, _TAP, fn)

    do_on_success = tap

    # Steps on the error.

    @accepts(func="fn")
    def map_error(self, fn: Callable[[E_co], F]) -> MonoResult[T_co, F]:
        """Transform the error; a Success passes through."""
        return _step(self, _MAP_ERROR, fn)

    @accepts(action="fn")
    def tap_error(self, fn: Callable[[E_co], object]) -> MonoResult[T_co, E_co]:
        """Call ``fn(error)`` on failure for its side effect (awaited if async)."""
        return _step(self, _TAP_ERROR, fn)

    do_on_error = tap_error

    def on_error_return(self, value: U) -> MonoResult[T_co | U, Never]:
        """Replace any Failure with ``Success(value)``."""
        success = Success(value)
        return _step(self, _RECOVER, lambda _error: success)

    on_error_return_value = on_error_return

    @accepts(func="fn")
    def on_error_return_result(self, fn: Callable[[E_co], Result[U, F]]) -> MonoResult[T_co | U, F]:
        """Replace a Failure with the Result ``fn(error)`` returns."""
        return _step(self, _RECOVER, fn)

    def on_error_resume(
        self, fn: Callable[[E_co], Result[U, F] | Awaitable[Result[U, F]]]
    ) -> MonoResult[T_co | U, F]:
        """Replace a Failure with ``fn(error)``: a Result, or an awaitable of one (a Mono too)."""
        return _step(self, _RECOVER_ANY, fn)

    # Steps wrapping everything before them.

    def timeout(self, seconds: float) -> MonoResult[T_co, E_co | OperationTimeoutError]:
        """Give the pipeline so far ``seconds`` to finish.

        On expiry the running coroutine is cancelled (it sees ``CancelledError``, so its
        ``finally`` blocks and context managers run) and the result is
        ``Failure(OperationTimeoutError(seconds))``.
        """
        if seconds < 0:
            raise ValueError(f"timeout needs seconds >= 0, got {seconds!r}")
        return _source(_CALL, _Timeout(self, seconds))

    def retry(
        self,
        times: int,
        backoff: float | Callable[[int], float] = 0.0,
        *,
        factor: float = 2.0,
        max_backoff: float = 30.0,
        jitter: float = 0.1,
        when: Callable[[E_co], bool] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> MonoResult[T_co, E_co]:
        """Run the pipeline so far again on Failure, up to ``times`` more times.

        Before retry ``n`` (0-based) it waits ``backoff * factor**n`` seconds, capped at
        ``max_backoff`` and scaled by a random factor in ``[1 - jitter, 1 + jitter]``;
        ``backoff`` may instead be a function of ``n`` returning the delay. ``when(error)``
        limits retries to some errors. ``sleep`` replaces ``asyncio.sleep`` (for tests).
        Exceptions are not retried: they are bugs, and propagate.
        """
        if times < 0:
            raise ValueError(f"retry needs times >= 0, got {times!r}")
        if not callable(backoff) and backoff < 0:
            raise ValueError(f"retry needs backoff >= 0, got {backoff!r}")
        if not 0.0 <= jitter <= 1.0:
            raise ValueError(f"retry needs 0 <= jitter <= 1, got {jitter!r}")
        if factor < 1.0:
            raise ValueError(f"retry needs factor >= 1, got {factor!r}")
        if callable(backoff):
            delay = backoff
        else:
            base = float(backoff)

            def delay(attempt: int) -> float:
                return ceiling(attempt + 1, base, max_backoff, factor)

        retrying = _Retry(self, times, delay, jitter, when, sleep or asyncio.sleep)
        return _source(_CALL, retrying)

    def cache(self) -> MonoResult[T_co, E_co]:
        """Run the pipeline so far once, on first await, and replay its Result afterwards.

        Concurrent first awaits share one run. An exception is not cached: the next await
        runs the pipeline again.
        """
        return _source(_CALL, _Once(self))

    # Logging.

    def log_step(self, name: str) -> MonoResult[T_co, E_co]:
        """Log the Result so far (INFO), with elapsed time, operation and correlation id."""
        return _step(self, _LOG, (name, False))

    def log_error(self, name: str) -> MonoResult[T_co, E_co]:
        """Log a Failure so far (ERROR), with elapsed time, operation and correlation id."""
        return _step(self, _LOG, (name, True))

    # Terminals.

    def to_result(self) -> Coroutine[Any, Any, Result[T_co, E_co]]:
        """Run the pipeline: ``await mono.to_result()`` (the same as ``await mono``)."""
        return self._run()

    def __await__(self) -> Generator[Any, None, Result[T_co, E_co]]:
        return self._run().__await__()

    def __repr__(self) -> str:
        _, source, steps, _ = self._plan or _flatten(self)
        names = "".join("." + _KIND_NAMES[kind] for kind, _ in steps)
        shown = repr(source) if isinstance(source, Result) else type(source).__name__
        return f"MonoResult({shown}{names})"

    async def _run(self) -> Result[T_co, E_co]:
        source_kind, source, steps, timed = self._plan or _flatten(self)
        start = _perf_counter() if timed else 0.0
        result: Any
        if source_kind == _READY:
            result = source
        else:
            result = source()
            if not isinstance(result, Result):  # an awaitable, unless fn was sync
                result = await result
                if not isinstance(result, Result):
                    raise TypeError(f"a MonoResult source must produce a Result, got {result!r}")
        for kind, fn in steps:
            if kind == _BIND_ASYNC:
                # Exact-type checks first: this is the hot path of an async chain.
                if type(result) is Success or isinstance(result, Success):
                    result = fn(result.value)
                    cls = type(result)
                    if cls is _Coroutine:
                        result = await result
                        cls = type(result)
                        if cls is not Success and cls is not Failure:
                            _check_result("bind_async_result", fn, result)
                    elif (
                        cls is not Success and cls is not Failure and not isinstance(result, Result)
                    ):
                        result = await result  # an awaitable (a Mono...)
                        _check_result("bind_async_result", fn, result)
            elif kind == _MAP:
                result = result.map(fn)
            elif kind == _BIND:
                result = result.bind(fn)
                if not isinstance(result, Result):
                    raise TypeError(_not_a_result("bind_result", fn, result))
            elif kind == _MAP_ERROR:
                result = result.map_error(fn)
            elif kind == _TAP:
                if isinstance(result, Success):
                    effect = fn(result.value)
                    if effect is not None and hasattr(effect, "__await__"):
                        await effect
            elif kind == _TAP_ERROR:
                if isinstance(result, Failure):
                    effect = fn(result.error)
                    if effect is not None and hasattr(effect, "__await__"):
                        await effect
            elif kind == _RECOVER:
                if isinstance(result, Failure):
                    result = fn(result.error)
                    if not isinstance(result, Result):
                        raise TypeError(_not_a_result("on_error_return_result", fn, result))
            elif kind == _RECOVER_ANY:
                if isinstance(result, Failure):
                    result = fn(result.error)
                    if not isinstance(result, Result):
                        result = await result
                        if not isinstance(result, Result):
                            raise TypeError(_not_a_result("on_error_resume", fn, result))
            else:
                _log(fn[0], result, start, fn[1])
        final: Result[T_co, E_co] = result
        return final


_KIND_NAMES = {
    _MAP: "map",
    _MAP_ERROR: "map_error",
    _BIND: "bind_result",
    _BIND_ASYNC: "bind_async_result",
    _TAP: "tap",
    _TAP_ERROR: "tap_error",
    _RECOVER: "on_error_return_result",
    _RECOVER_ANY: "on_error_resume",
    _LOG: "log",
}


def _source(kind: int, source: Any) -> MonoResult[Any, Any]:
    return _step(None, kind, source)


def _step(prev: MonoResult[Any, Any] | None, kind: int, fn: Any) -> MonoResult[Any, Any]:
    mono: MonoResult[Any, Any] = _object_new(MonoResult)
    mono._prev = prev
    mono._kind = kind
    mono._fn = fn
    mono._plan = None
    return mono


def _flatten(mono: MonoResult[Any, Any]) -> tuple[int, Any, tuple[tuple[int, Any], ...], bool]:
    """The plan of ``mono``: its source and its steps in order (kept on the node)."""
    steps: list[tuple[int, Any]] = []
    timed = False
    node = mono
    prev = node._prev
    while prev is not None:
        kind = node._kind
        steps.append((kind, node._fn))
        timed = timed or kind == _LOG
        node = prev
        prev = node._prev
    steps.reverse()
    plan = (node._kind, node._fn, tuple(steps), timed)
    mono._plan = plan
    return plan


def _not_a_result(step: str, fn: object, value: object) -> str:
    return f"{step}: {fn!r} must return a Result, returned {value!r}"


def _check_result(step: str, fn: object, value: object) -> None:
    if not isinstance(value, Result):
        raise TypeError(_not_a_result(step, fn, value))


def _log(name: str, result: Result[Any, Any], start: float, errors_only: bool) -> None:
    # rfs.monitoring adds the operation and correlation id (it imports nothing from reactive).
    from rfs.monitoring.steps import log_mono_step

    log_mono_step(name, result, start, errors_only)


def _not_a_function(where: str, value: object) -> TypeError:
    """The TypeError for a source that is not a function, naming the constructor that fits."""
    if hasattr(type(value), "__await__"):
        close = getattr(value, "close", None)
        if callable(close):
            close()  # a coroutine that will never run: no "never awaited" warning on top
        return TypeError(
            f"{where} needs a function returning an awaitable Result, got the awaitable "
            f"{value!r}: pass a function that makes it (`lambda: fetch(user_id)`), or use "
            "MonoResult.from_awaitable(awaitable) for one awaitable, which runs only once"
        )
    if isinstance(value, (Success, Failure)):
        return TypeError(
            f"{where} needs a function returning an awaitable Result, got the Result "
            f"{value!r}: use MonoResult.from_result(result) for a ready Result"
        )
    return TypeError(f"{where} needs a function returning an awaitable Result, got {value!r}")
