"""The instance container: the objects made from compiled plans, and how they are made.

Singletons are made under the container lock (once, whatever the number of threads); async
ones through one shared future per binding (once, whatever the number of tasks). Request-scoped
objects live in the open :class:`~rfs.di.request.RequestScope`. The binding index never
holds objects; this container never decides which binding provides a key.
"""

from __future__ import annotations

import contextvars
import inspect
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from rfs.di.bindings import Binding
from rfs.di.errors import AsyncResolutionError, ScopeNotActiveError
from rfs.di.lifecycle import (
    Closer,
    first_from_async_generator,
    first_from_generator,
    start_async,
    start_sync,
)
from rfs.di.markers import MISSING
from rfs.di.plan import Getter, Plan
from rfs.di.request import RequestScope
from rfs.di.scopes import Scope

if TYPE_CHECKING:  # asyncio and concurrent.futures load on first async creation only
    import concurrent.futures


class Lookup(dict[Any, Any]):
    """Created singletons by key; a miss runs the key's compiled getter, else the slow path.

    Its C-level ``__getitem__`` is what ``Registry.resolve`` is, so a hit runs no Python code.
    """

    __slots__ = ("getters", "slow")

    def __init__(self, slow: Callable[[Any], Any]) -> None:
        super().__init__()
        self.slow = slow
        self.getters: dict[Any, Getter] = {}
        """Compiled getters of prototype and request-scoped keys."""

    def __missing__(self, key: Any) -> Any:
        getter = self.getters.get(key)
        if getter is not None:
            return getter()
        return self.slow(key)


class Instances:
    """The objects of one registry: singletons, closers, in-flight async creations, requests.

    ``plan_for_key`` compiles (or fetches) the plan of whatever provides a key; the container
    calls it on a lookup miss and caches the result until :meth:`invalidate`.
    """

    __slots__ = (
        "closers",
        "generation",
        "inflight",
        "lock",
        "lookup",
        "made",
        "plan_for_key",
        "request",
    )

    def __init__(self, plan_for_key: Callable[[Any], Plan], lock: threading.RLock) -> None:
        self.plan_for_key = plan_for_key
        self.lock = lock
        self.made: dict[Binding, Any] = {}
        """Singletons by binding, once created."""
        self.closers: list[Closer] = []
        self.inflight: dict[Binding, concurrent.futures.Future[Any]] = {}
        self.generation = 0
        self.request: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar(
            f"rfs_di_request_{id(self):x}", default=None
        )
        self.lookup = Lookup(self._miss)

    # -- bookkeeping -------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget cached lookups after a registration change (created singletons stay)."""
        self.generation += 1
        lookup = self.lookup
        if lookup or lookup.getters:
            lookup.clear()
            lookup.getters.clear()

    def take(self, bindings: Iterable[Binding]) -> dict[Binding, Any]:
        """Remove and return the singletons of ``bindings`` (an override re-creates them)."""
        made = self.made
        return {b: made.pop(b) for b in bindings if b in made}

    def put_back(self, drop: Iterable[Binding], saved: dict[Binding, Any]) -> None:
        """Forget the singletons of ``drop``, then restore ``saved`` (the end of an override)."""
        for binding in drop:
            self.made.pop(binding, None)
        self.made.update(saved)

    def discard(self, binding: Binding) -> None:
        """Forget the singleton of a binding that was replaced."""
        self.made.pop(binding, None)

    def reset(self) -> list[Closer]:
        """Forget every created object; returns their closers (run them newest first)."""
        closers = list(self.closers)
        self.closers.clear()
        self.made.clear()
        self.invalidate()
        return closers

    # -- lookups -----------------------------------------------------------------------------
    def _miss(self, key: Any) -> Any:
        with self.lock:
            generation = self.generation
            plan = self.plan_for_key(key)
        value = plan.get()
        with self.lock:
            if generation == self.generation:  # nothing re-registered meanwhile
                if plan.binding.scope is Scope.SINGLETON:
                    self.lookup[key] = value
                else:
                    self.lookup.getters[key] = plan.get
        return value

    def getter_for(self, plan: Plan) -> Getter:
        """The zero-argument callable giving ``plan``'s object in its scope."""
        binding = plan.binding
        scope = binding.scope
        if scope is Scope.SINGLETON:
            made = self.made
            create = self._create_singleton

            def singleton() -> Any:
                value = made.get(binding, MISSING)
                if value is MISSING:
                    return create(plan)
                return value

            return singleton
        if scope is Scope.REQUEST:
            var = self.request
            create_in = self._create_in_request

            def request() -> Any:
                context = var.get()
                try:
                    return context.values[binding]  # type: ignore[union-attr]
                except KeyError:
                    return create_in(plan, context)  # type: ignore[arg-type]
                except AttributeError:  # context is None
                    raise ScopeNotActiveError(
                        f"{binding.label} is request-scoped but no request scope is open; fix: "
                        "wrap the work in `async with registry.request_scope():` or add "
                        "rfs.di.fastapi.RequestScopeMiddleware",
                        (binding.label,),
                    ) from None

            return request
        if plan.is_async:
            return lambda: _needs_await(plan)
        if plan.hooks or binding.generator:
            raw = plan.raw
            label = binding.label

            def prototype() -> Any:
                obj = raw()
                start_sync(obj, None, label)
                return obj

            return prototype
        return plan.raw

    # -- creation ---------------------------------------------------------------------------
    def _create_singleton(self, plan: Plan) -> Any:
        return _create(plan, self.made, self.lock, self.closers)

    def _create_in_request(self, plan: Plan, context: RequestScope) -> Any:
        return _create(plan, context.values, context.lock, context.closers)

    async def aget(self, plan: Plan) -> Any:
        """``plan``'s object, awaiting async factories, hooks and context managers on the way."""
        binding = plan.binding
        if binding.scope is Scope.PROTOTYPE:
            return await self._make_async(plan, None)
        if binding.scope is Scope.SINGLETON:
            values, lock, inflight, closers = self.made, self.lock, self.inflight, self.closers
        else:
            context = self.request.get()
            if context is None:
                return plan.get()  # raises ScopeNotActiveError with the fix
            values, lock, inflight = context.values, context.lock, context.inflight
            closers = context.closers
        value = values.get(binding, MISSING)
        if value is not MISSING:
            return value
        if not plan.deep_async:
            return plan.get()
        return await self._once(plan, values, lock, inflight, closers)

    async def _make_async(self, plan: Plan, closers: list[Closer] | None) -> Any:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for dep in plan.deps:
            value = dep.const if dep.plan is None else await self.aget(dep.plan)
            if dep.keyword is None:
                args.append(value)
            else:
                kwargs[dep.keyword] = value
        binding = plan.binding
        if binding.provider is None:
            return binding.instance
        obj = binding.provider(*args, **kwargs)
        sink = closers if closers is not None else []
        if binding.generator == "async":
            obj = await first_from_async_generator(obj, sink)
        elif binding.generator == "sync":
            obj = first_from_generator(obj, sink)
        elif inspect.isawaitable(obj):
            obj = await obj
        if plan.hooks:
            await start_async(obj, closers)
        return obj

    async def _once(
        self,
        plan: Plan,
        values: dict[Binding, Any],
        lock: threading.RLock,
        inflight: dict[Binding, concurrent.futures.Future[Any]],
        closers: list[Closer],
    ) -> Any:
        """Create ``binding``'s object once even when many tasks (or threads) ask together.

        If the creating task is cancelled, the waiters are not: one of them takes over.
        """
        import asyncio
        import concurrent.futures

        binding = plan.binding
        while True:
            with lock:
                value = values.get(binding, MISSING)
                if value is not MISSING:
                    return value
                future = inflight.get(binding)
                owner = future is None
                if future is None:
                    future = concurrent.futures.Future()
                    inflight[binding] = future
            if not owner:
                value = await asyncio.wrap_future(future)
                if value is MISSING:  # the creator was cancelled: try again ourselves
                    continue
                return value
            try:
                obj = await self._make_async(plan, closers)
            except asyncio.CancelledError:
                with lock:
                    inflight.pop(binding, None)
                future.set_result(MISSING)
                raise
            except BaseException as exc:
                with lock:
                    inflight.pop(binding, None)
                future.set_exception(exc)
                raise
            with lock:
                values[binding] = obj
                inflight.pop(binding, None)
            future.set_result(obj)
            return obj


def _needs_await(plan: Plan) -> Any:
    raise AsyncResolutionError(
        f"{plan.binding.label} needs await (async factory, async on_start or async context "
        "manager); fix: `await registry.aresolve(...)`, or `await registry.start()` first "
        "so singletons exist",
        (plan.binding.label,),
    )


def _create(
    plan: Plan, values: dict[Binding, Any], lock: threading.RLock, closers: list[Closer]
) -> Any:
    """Make ``plan``'s object once under ``lock`` and keep it in ``values``."""
    with lock:
        value = values.get(plan.binding, MISSING)
        if value is not MISSING:
            return value
        obj = _make_sync(plan, closers)
        values[plan.binding] = obj
        return obj


def _make_sync(plan: Plan, closers: list[Closer]) -> Any:
    if plan.is_async:
        _needs_await(plan)
    obj = plan.raw()
    if plan.binding.generator == "sync":
        obj = first_from_generator(obj, closers)
    if plan.hooks:
        start_sync(obj, closers, plan.binding.label)
    return obj
