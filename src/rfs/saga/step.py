"""Saga steps: how an action or compensation is called, timed out and turned into a Result."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rfs.result import Failure, Result, Success

StepFunction = Callable[..., Any]

_current: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar(
    "rfs_saga_step", default=None
)


@dataclass(frozen=True, slots=True)
class StepContext:
    """What a step knows about its own run.

    ``idempotency_key`` is the same for every attempt of the step in one execution, also
    after a crash and ``recover()``: a step that records the key with its effect can
    recognise a repeat and skip it. ``recovering`` is true for the first attempt made by
    a recovering process, when the previous attempt may or may not have taken effect.
    """

    saga: str
    execution_id: str
    step: str
    index: int
    attempt: int
    idempotency_key: str
    compensating: bool = False
    recovering: bool = False


def current_step() -> StepContext | None:
    """The running step's context (``None`` outside a saga step)."""
    return _current.get()


def _arity(fn: StepFunction) -> int:
    """How many positional arguments to pass: 0, 1 (context) or 2 (context, step).

    Parameters with defaults are not filled, except one named ``step``.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return 1
    count = 0
    for parameter in signature.parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            return 2
        positional = parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        if positional and (parameter.default is parameter.empty or parameter.name == "step"):
            count += 1
    return min(count, 2)


def _is_async(fn: StepFunction) -> bool:
    target = getattr(fn, "func", fn)  # functools.partial
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)  # noqa: B004 - async callable objects
    )


@dataclass(frozen=True, slots=True)
class Callee:
    """A user function with its calling convention worked out once, at ``add_step``."""

    fn: StepFunction
    arity: int
    is_async: bool

    @classmethod
    def of(cls, fn: StepFunction) -> Callee:
        return cls(fn, _arity(fn), _is_async(fn))

    def _args(self, context: Any, step: StepContext) -> tuple[Any, ...]:
        return ((), (context,), (context, step))[self.arity]

    def _call_sync(self, context: Any, step: StepContext) -> Any:
        token = _current.set(step)
        try:
            return self.fn(*self._args(context, step))
        finally:
            _current.reset(token)

    async def call(
        self, context: Any, step: StepContext, limit: float | None
    ) -> Result[Any, object]:
        """Run once; an exception, a timeout or a returned Failure all give a Failure."""
        try:
            if self.is_async or limit is not None:
                value = await self._call_async(context, step, limit)
            else:
                value = self._call_sync(context, step)
                if inspect.isawaitable(value):  # a sync def returning a coroutine
                    value = await value
        except TimeoutError:
            return Failure(TimeoutError(f"step {step.step!r} timed out after {limit}s"))
        except Exception as exc:  # a step's exception is its Failure
            return Failure(exc)
        if isinstance(value, Result):
            return value
        return Success(value)

    async def _call_async(self, context: Any, step: StepContext, limit: float | None) -> Any:
        if not self.is_async:
            # Sync with a timeout: a thread we can stop waiting for (not stop).
            run = contextvars.copy_context().run
            return await asyncio.wait_for(
                asyncio.to_thread(run, self._call_sync, context, step), limit
            )
        token = _current.set(step)
        try:
            if limit is None:
                value = self.fn(*self._args(context, step))
                return await value if inspect.isawaitable(value) else value
            async with asyncio.timeout(limit):
                value = self.fn(*self._args(context, step))
                return await value if inspect.isawaitable(value) else value
        finally:
            _current.reset(token)


@dataclass(frozen=True, slots=True)
class SagaStep:
    """One step of a saga definition: an action and the compensation that undoes it."""

    name: str
    action: StepFunction
    compensate: StepFunction | None
    retries: int = 0
    timeout: float | None = None
    retry_backoff: float = 0.05
    compensation_retries: int = 3
    compensation_timeout: float | None = None
    action_callee: Callee = field(init=False, repr=False, compare=False)
    compensation_callee: Callee | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "action_callee", Callee.of(self.action))
        comp = None if self.compensate is None else Callee.of(self.compensate)
        object.__setattr__(self, "compensation_callee", comp)
