"""Sources wrapping a whole ``MonoResult`` pipeline: timeout, retry, run-once and one awaitable.

Each is a callable returning an awaitable Result, used as the source of a new Mono, so
``mono.timeout(5)`` wraps everything before it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from rfs.result import Failure, Result, Success

if TYPE_CHECKING:
    from rfs.reactive.mono_result import MonoResult

__all__ = ["AwaitOnce", "Once", "OperationTimeoutError", "Retry", "Timeout"]


class OperationTimeoutError(TimeoutError):
    """The error a ``MonoResult.timeout(seconds)`` step puts in its ``Failure`` on expiry.

    Its message keeps RFS v4's wording (v4 put that string itself in the Failure).
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timeout: Operation timed out after {seconds} seconds")
        self.seconds = seconds

    def __reduce__(self) -> tuple[type[OperationTimeoutError], tuple[float]]:
        return (OperationTimeoutError, (self.seconds,))


class Timeout:
    """Source running ``run`` under ``asyncio.timeout``: expiry cancels it, yields a Failure."""

    __slots__ = ("_inner", "_seconds")

    def __init__(self, inner: MonoResult[Any, Any], seconds: float) -> None:
        self._inner = inner
        self._seconds = seconds

    async def __call__(self) -> Result[Any, Any]:
        scope = asyncio.timeout(self._seconds)
        try:
            async with scope:
                result = await self._inner
        except TimeoutError:
            if scope.expired():
                return Failure(OperationTimeoutError(self._seconds))
            raise
        if scope.expired():  # the inner code swallowed its cancellation: still too late
            return Failure(OperationTimeoutError(self._seconds))
        return result


class Retry:
    """Source running ``run`` until it succeeds or retries are used up."""

    __slots__ = ("_delay", "_inner", "_jitter", "_sleep", "_times", "_when")

    def __init__(
        self,
        inner: MonoResult[Any, Any],
        times: int,
        delay: Callable[[int], float],
        jitter: float,
        when: Callable[[Any], bool] | None,
        sleep: Callable[[float], Awaitable[object]],
    ) -> None:
        self._inner = inner
        self._times = times
        self._delay = delay
        self._jitter = jitter
        self._when = when
        self._sleep = sleep

    async def __call__(self) -> Result[Any, Any]:
        attempt = 0
        while True:
            result = await self._inner
            if isinstance(result, Success) or attempt >= self._times:
                return result
            if self._when is not None and not self._when(result.unwrap_error()):
                return result
            delay = self._delay(attempt)
            if self._jitter:
                delay *= random.uniform(1.0 - self._jitter, 1.0 + self._jitter)  # nosec B311 # retry jitter (not for security)
            if delay > 0:
                await self._sleep(delay)
            attempt += 1


class Once:
    """Source running ``run`` once (even under concurrent awaits) and replaying its Result."""

    __slots__ = ("_inner", "_lock", "_result")

    def __init__(self, inner: MonoResult[Any, Any]) -> None:
        self._inner = inner
        self._result: Result[Any, Any] | None = None
        self._lock: asyncio.Lock | None = None

    async def __call__(self) -> Result[Any, Any]:
        result = self._result
        if result is not None:
            return result
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            result = self._result
            if result is None:
                result = self._result = await self._inner
        return result


class AwaitOnce:
    """Awaits one awaitable, wrapping a plain value in Success; refuses a second start."""

    __slots__ = ("_awaitable", "_started")

    def __init__(self, awaitable: Awaitable[Any]) -> None:
        self._awaitable = awaitable
        self._started = False

    async def __call__(self) -> Result[Any, Any]:
        if self._started:
            raise RuntimeError(
                "MonoResult.from_awaitable: the awaitable failed or was cancelled on its first "
                "await and cannot be awaited again; use MonoResult.from_async_result(fn) for a "
                "source that can run again"
            )
        self._started = True
        value = await self._awaitable
        return value if isinstance(value, Result) else Success(value)
