"""Object creation behind compiled plans: scope-aware getters, sync and async, made once."""

from __future__ import annotations

import inspect
from collections.abc import Callable
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
from rfs.di.request import RequestContext
from rfs.di.scopes import Scope

if TYPE_CHECKING:  # asyncio and concurrent.futures load on first async creation only
    import concurrent.futures
    import contextvars
    import threading


class Creation:
    """Base of :class:`~rfs.di.registry.Registry`: how plans turn into objects.

    Singletons are made under the registry lock (once, whatever the number of threads);
    async ones through one shared future per binding (once, whatever the number of tasks).
    """

    _lock: threading.RLock
    _closers: list[Closer]
    _inflight: dict[Binding, concurrent.futures.Future[Any]]
    _request: contextvars.ContextVar[RequestContext | None]

    def _getter_for(self, plan: Plan) -> Getter:
        binding = plan.binding
        scope = binding.scope
        if scope is Scope.SINGLETON:
            create = self._create_singleton

            def singleton() -> Any:
                value = binding.value
                if value is MISSING:
                    return create(plan)
                return value

            return singleton
        if scope is Scope.REQUEST:
            var = self._request
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
            return lambda: self._needs_await(plan)
        if plan.hooks or binding.generator:
            raw = plan.raw
            label = binding.label

            def prototype() -> Any:
                obj = raw()
                start_sync(obj, None, label)
                return obj

            return prototype
        return plan.raw

    def _needs_await(self, plan: Plan) -> Any:
        raise AsyncResolutionError(
            f"{plan.binding.label} needs await (async factory, async on_start or async context "
            "manager); fix: `await registry.aresolve(...)`, or `await registry.start()` first "
            "so singletons exist",
            (plan.binding.label,),
        )

    def _make_sync(self, plan: Plan, closers: list[Closer]) -> Any:
        if plan.is_async:
            self._needs_await(plan)
        obj = plan.raw()
        if plan.binding.generator == "sync":
            obj = first_from_generator(obj, closers)
        if plan.hooks:
            start_sync(obj, closers, plan.binding.label)
        return obj

    def _create_singleton(self, plan: Plan) -> Any:
        binding = plan.binding
        with self._lock:
            if binding.value is not MISSING:
                return binding.value
            obj = self._make_sync(plan, self._closers)
            binding.value = obj
            return obj

    def _create_in_request(self, plan: Plan, context: RequestContext) -> Any:
        with context.lock:
            value = context.values.get(plan.binding, MISSING)
            if value is not MISSING:
                return value
            obj = self._make_sync(plan, context.closers)
            context.values[plan.binding] = obj
            return obj

    async def _make_async(self, plan: Plan, closers: list[Closer] | None) -> Any:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for dep in plan.deps:
            value = dep.const if dep.plan is None else await self._aget(dep.plan)
            if dep.keyword is None:
                args.append(value)
            else:
                kwargs[dep.keyword] = value
        binding = plan.binding
        if binding.provider is None:
            return binding.value
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

    async def _aget(self, plan: Plan) -> Any:
        binding = plan.binding
        if binding.scope is Scope.PROTOTYPE:
            return await self._make_async(plan, None)
        if binding.scope is Scope.SINGLETON:
            if binding.value is not MISSING:
                return binding.value
            if not plan.deep_async:
                return plan.get()
            return await self._once(
                plan,
                self._lock,
                self._inflight,
                self._closers,
                _load_singleton,
                _store_singleton,
            )
        context = self._request.get()
        if context is None:
            return plan.get()  # raises ScopeNotActiveError with the fix
        value = context.values.get(binding, MISSING)
        if value is not MISSING:
            return value
        if not plan.deep_async:
            return plan.get()
        values = context.values
        return await self._once(
            plan,
            context.lock,
            context.inflight,
            context.closers,
            lambda b: values.get(b, MISSING),
            values.__setitem__,
        )

    async def _once(
        self,
        plan: Plan,
        lock: threading.RLock,
        inflight: dict[Binding, concurrent.futures.Future[Any]],
        closers: list[Closer],
        load: Callable[[Binding], Any],
        store: Callable[[Binding, Any], None],
    ) -> Any:
        """Create ``binding``'s object once even when many tasks (or threads) ask together.

        If the creating task is cancelled, the waiters are not: one of them takes over.
        """
        import asyncio
        import concurrent.futures

        binding = plan.binding
        while True:
            with lock:
                value = load(binding)
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
                store(binding, obj)
                inflight.pop(binding, None)
            future.set_result(obj)
            return obj


def _load_singleton(binding: Binding) -> Any:
    return binding.value


def _store_singleton(binding: Binding, value: Any) -> None:
    binding.value = value
