"""The container: registration, profiles, resolution, overrides, validation and lifecycle."""

from __future__ import annotations

import contextvars
import functools
import importlib
import threading
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, overload

from rfs.di.bindings import Binding, make_binding
from rfs.di.creation import Creation
from rfs.di.errors import (
    ContainerValidationError,
    DIError,
    PortMismatchError,
    RegistrationError,
)
from rfs.di.lifecycle import (
    Closer,
    close_all,
)
from rfs.di.markers import (
    MISSING,
    ComponentMeta,
    ProfileLike,
    active_profiles,
    meta_of,
    profile_matches,
)
from rfs.di.plan import Compiler, Getter, Plan, dependents, meta_keys, port_mismatch
from rfs.di.request import RequestContext, RequestScope
from rfs.di.scopes import Scope, ScopeLike

if TYPE_CHECKING:
    import concurrent.futures

T = TypeVar("T")


class _Cache(dict[Any, Any]):
    """Resolved singletons by key; a miss falls through to the registry's slow path."""

    __slots__ = ("getters", "slow")

    def __init__(self, slow: Callable[[Any], Any], getters: dict[Any, Getter]) -> None:
        super().__init__()
        self.slow = slow
        self.getters = getters

    def __missing__(self, key: Any) -> Any:
        getter = self.getters.get(key)  # prototype and request keys: their compiled getter
        if getter is not None:
            return getter()
        return self.slow(key)


class Registry(Creation):
    """A dependency-injection container for one application (or one test).

    ``profile`` selects adapters (``"test"``, ``"prod"``, or several); it defaults to
    ``RFS_PROFILE`` and then ``"default"``. Register classes with the annotations
    (``@Component(registry=...)``), ``register(...)`` or ``scan(package)``; call
    ``validate()`` (or ``await start()``) at startup so wiring errors surface before traffic.
    ``resolve``/``get`` of an already created singleton is a single dict lookup.
    """

    def __init__(self, profile: ProfileLike = None) -> None:
        self.profiles: frozenset[str] = active_profiles(profile)
        self._lock = threading.RLock()
        self._index: dict[Any, list[Binding]] = {}
        self._bindings: dict[Binding, None] = {}
        self._by_provider: dict[tuple[Any, tuple[str, ...] | None], Binding] = {}
        self._ports: dict[Any, ComponentMeta] = {}
        self._port_by_name: dict[str, Any] = {}
        self._names: dict[str, Any] = {}
        self._overrides: dict[Any, Binding] = {}
        self._plans: dict[Binding, Plan] = {}
        self._getters: dict[Any, Getter] = {}
        self._closers: list[Closer] = []
        self._inflight: dict[Binding, concurrent.futures.Future[Any]] = {}
        self._generation = 0
        self._compiler = Compiler(self, self._plans)
        self._request: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
            f"rfs_di_request_{id(self):x}", default=None
        )
        self._cache = _Cache(self._resolve_slow, self._getters)
        # Fast path: resolve/get are the cache's C-level __getitem__ (a hit never enters Python).
        self.__dict__["resolve"] = self.__dict__["get"] = self._cache.__getitem__

    # -- introspection ----------------------------------------------------------------------
    @property
    def profile(self) -> str:
        """The active profiles as one comma-separated string."""
        return ",".join(sorted(self.profiles))

    def __repr__(self) -> str:
        return f"Registry(profile={self.profile!r}, bindings={len(self._bindings)})"

    def __contains__(self, key: object) -> bool:
        try:
            return self._compiler.select(key, (), required=False) is not None
        except DIError:
            return True

    def list_services(self) -> list[str]:
        """Names of the bindings active under the current profiles."""
        return [b.name for b in self._active()]

    # -- registration -----------------------------------------------------------------------
    @overload
    def register(self, key: type[T], /) -> type[T]: ...
    @overload
    def register(self, key: str | None = None, /) -> Callable[[type[T]], type[T]]: ...
    @overload
    def register(
        self,
        key: Any,
        provider: Any = ...,
        /,
        *,
        instance: Any = ...,
        name: str | None = ...,
        scope: ScopeLike | None = ...,
        primary: bool = ...,
        lazy: bool = ...,
        profile: ProfileLike = ...,
    ) -> Any: ...

    def register(
        self,
        key: Any = None,
        provider: Any = MISSING,
        /,
        *,
        instance: Any = MISSING,
        name: str | None = None,
        scope: ScopeLike | None = None,
        primary: bool = False,
        lazy: bool = False,
        profile: ProfileLike = None,
    ) -> Any:
        """Register a class, a ``key -> provider`` pair, or an instance.

        - ``register(Cls)``: ``Cls`` by its annotation (if any) or as a singleton component.
        - ``register(Port, Impl)`` / ``register(Port, factory)``: ``factory``'s parameters are
          injected; it may be async, a generator or an async generator (teardown after ``yield``).
        - ``register(Port, instance=obj)``: a ready object (never closed by the registry).
        - ``register("name")`` / ``register()``: a decorator (the v4 ``StatelessRegistry`` form).
        Returns the class or provider, so ``register`` works as a decorator too.
        """
        if provider is MISSING and instance is MISSING and (key is None or isinstance(key, str)):
            label = key

            def decorator(cls: type[T]) -> type[T]:
                self.register(
                    cls,
                    cls,
                    name=label or name,
                    scope=scope,
                    primary=primary,
                    lazy=lazy,
                    profile=profile,
                )
                return cls

            return decorator
        if provider is MISSING and instance is MISSING:
            if not isinstance(key, type):
                raise RegistrationError(
                    f"register({key!r}): give a class, or a key with a provider or instance="
                )
            meta = meta_of(key)
            if meta is not None and name is None and scope is None and profile is None:
                self.register_class(key)
                return key
            provider = key
        binding = make_binding(key, provider, instance, name, scope, primary, lazy, profile)
        self._add(binding)
        return provider if instance is MISSING else instance

    def register_class(self, cls: type) -> Binding | None:
        """Register a class by its annotation (``@Port`` records the port, others bind)."""
        meta = meta_of(cls)
        if meta is None:
            raise RegistrationError(
                f"{cls.__qualname__} has no RFS annotation; decorate it (@Component, @Adapter, "
                f"...) or call registry.register({cls.__name__})"
            )
        return self._register_meta(cls, meta)

    def _register_meta(self, cls: type, meta: ComponentMeta) -> Binding | None:
        with self._lock:
            self._names[cls.__name__] = cls
            if meta.kind == "port":
                self._ports[cls] = meta
                self._port_by_name[meta.name] = cls
                self._port_by_name[cls.__name__] = cls
                self._invalidate()
                return None
        mro = cls.__mro__
        ports = (
            [b for b in mro[1:-1] if (m := meta_of(b)) and m.kind == "port"] if len(mro) > 2 else []
        )
        if meta.kind == "adapter" and meta.port is None and not ports:
            raise RegistrationError(
                f"@Adapter on {cls.__qualname__}: no port given and no @Port base class; "
                f"fix: @Adapter(port=YourPort)"
            )
        binding = Binding(
            provider=cls,
            scope=meta.scope,
            name=meta.name,
            kind=meta.kind,
            keys=meta_keys(cls, meta, ports),
            profiles=meta.profiles,
            primary=meta.primary,
            lazy=meta.lazy,
        )
        self._add(binding)
        return binding

    def _add(self, binding: Binding) -> None:
        with self._lock:
            ident = (binding.provider, binding.profiles)
            if binding.provider is not None:
                old = self._by_provider.get(ident)
                if old is not None:
                    self._drop(old)
                self._by_provider[ident] = binding
            index, names = self._index, self._names
            for key in binding.keys:
                entries = index.get(key)
                if entries is None:
                    index[key] = [binding]
                else:
                    entries.append(binding)
                if isinstance(key, type):
                    names.setdefault(key.__name__, key)
            self._bindings[binding] = None
            self._invalidate()

    def _drop(self, binding: Binding) -> None:
        for key in binding.keys:
            entries = self._index.get(key, [])
            if binding in entries:
                entries.remove(binding)
        self._bindings.pop(binding, None)

    def scan(self, package: str | types.ModuleType) -> list[type]:
        """Import ``package`` and its submodules and register every annotated class in them."""
        import pkgutil

        module = importlib.import_module(package) if isinstance(package, str) else package
        modules = [module]
        if hasattr(module, "__path__"):
            prefix = module.__name__ + "."
            for info in pkgutil.walk_packages(module.__path__, prefix):
                modules.append(importlib.import_module(info.name))
        found: list[type] = []
        for mod in modules:
            for value in list(vars(mod).values()):
                if (
                    isinstance(value, type)
                    and value.__module__ == mod.__name__
                    and meta_of(value) is not None
                ):
                    found.append(value)
        for cls in sorted(found, key=lambda c: meta_of(c).kind != "port"):  # type: ignore[union-attr]
            self.register_class(cls)
        return found

    # -- resolution -------------------------------------------------------------------------
    @overload
    def resolve(self, key: type[T], /) -> T: ...
    @overload
    def resolve(self, key: str, /) -> Any: ...
    def resolve(self, key: Any, /) -> Any:
        """The object for a type or binding name (replaced per instance by a C-level lookup)."""
        return self._cache[key]

    get = resolve

    def _resolve_slow(self, key: Any) -> Any:
        with self._lock:
            generation = self._generation
            plan = self._plan_for_key(key)
        value = plan.get()
        with self._lock:
            if generation == self._generation:  # nothing re-registered meanwhile
                if plan.binding.scope is Scope.SINGLETON:
                    self._cache[key] = value
                else:
                    self._getters[key] = plan.get
        return value

    @overload
    async def aresolve(self, key: type[T], /) -> T: ...
    @overload
    async def aresolve(self, key: str, /) -> Any: ...
    async def aresolve(self, key: Any, /) -> Any:
        """Resolve, awaiting async factories, async ``on_start`` and async context managers."""
        value = self._cache.get(key, MISSING)
        if value is not MISSING:
            return value
        with self._lock:
            plan = self._plan_for_key(key)
        return await self._aget(plan)

    def _plan_for_key(self, key: Any) -> Plan:
        if self._self_key(key):
            raise RegistrationError("resolve the registry itself? you already have it")
        return self._compiler.plan_for_key(key)

    # -- request scope ----------------------------------------------------------------------
    def request_scope(self) -> RequestScope:
        """Open a request scope: ``async with registry.request_scope(): ...``."""
        return RequestScope(self._request)

    # -- overrides --------------------------------------------------------------------------
    @contextmanager
    def override(
        self,
        key: Any,
        provider: Any = MISSING,
        /,
        *,
        instance: Any = MISSING,
        scope: ScopeLike | None = None,
    ) -> Iterator[None]:
        """Temporarily replace what provides ``key`` (for tests); always restored on exit.

        ``provider`` may be a class or factory (injected as usual) or a ready object; objects
        that depended on ``key`` are re-created while the override is active and the previous
        ones come back afterwards.
        """
        if instance is MISSING and provider is not MISSING and not callable(provider):
            provider, instance = MISSING, provider
        if provider is MISSING and instance is MISSING:
            raise RegistrationError("override(key, replacement): give a class, factory or instance")
        with self._lock:
            if scope is None and instance is MISSING:
                current = self._compiler.select(key, (), required=False)
                scope = current.scope if current is not None else Scope.SINGLETON
            binding = make_binding(
                key, provider, instance, None, scope, True, True, None, "override"
            )
            before = dependents(self._plans, key)
            saved = {b: b.value for b in before if not b.preset}
            for b in saved:
                b.value = MISSING
            previous = self._overrides.get(key)
            self._overrides[key] = binding
            self._invalidate()
        try:
            yield
        finally:
            with self._lock:
                for b in dependents(self._plans, key) | before:
                    if not b.preset:
                        b.value = MISSING
                for b, value in saved.items():
                    b.value = value
                if previous is None:
                    self._overrides.pop(key, None)
                else:
                    self._overrides[key] = previous
                self._invalidate()

    # -- validation and lifecycle -----------------------------------------------------------
    def problems(self) -> list[DIError]:
        """Every wiring error in the active graph, deduped.

        Missing bindings, ambiguous adapters, cycles, scope violations, and adapters lacking
        members their port declares.
        """
        found: dict[Any, DIError] = {}
        with self._lock:
            for binding in self._active():
                self._collect(functools.partial(self._compiler.plan_for, binding), found)
            for port in self._ports:
                active = [b for b in self._candidates(port) if b in self._bindings]
                if len([b for b in active if profile_matches(b.profiles, self.profiles)]) > 1:
                    self._collect(functools.partial(self._compiler.select, port, ()), found)
            for binding in self._active():
                for key in binding.keys:
                    if isinstance(key, type) and key in self._ports and key is not binding.provider:
                        mismatch = port_mismatch(binding, key)
                        if mismatch is not None:
                            found[(PortMismatchError, mismatch.root)] = mismatch
        return list(found.values())

    @staticmethod
    def _collect(step: Callable[[], object], found: dict[Any, DIError]) -> None:
        try:
            step()
        except DIError as exc:
            pending = [exc]
            while pending:
                error = pending.pop()
                pending.extend(error.related)
                root = (type(error), error.root)
                kept = found.get(root)
                if kept is None or len(error.chain) > len(kept.chain):
                    found[root] = error

    def validate(self) -> None:
        """Check the whole graph now; raise ``ContainerValidationError`` listing every problem."""
        errors = self.problems()
        if errors:
            raise ContainerValidationError(errors)

    async def start(self) -> None:
        """Validate, then create every non-lazy singleton (awaiting async ones) in order."""
        self.validate()
        with self._lock:
            plans = [self._compiler.plan_for(b) for b in self._active()]
        for plan in plans:
            binding = plan.binding
            if binding.scope is Scope.SINGLETON and not binding.lazy:
                await self._aget(plan)

    async def shutdown(self) -> None:
        """Close singletons in reverse creation order (``on_stop``, context managers, generators).

        Every closer runs; failures are raised together afterwards as an ``ExceptionGroup``.
        The registry can be started again.
        """
        with self._lock:
            closers = list(self._closers)
            self._closers.clear()
            for binding in self._bindings:
                if not binding.preset:
                    binding.value = MISSING
            for binding in self._overrides.values():
                if not binding.preset:
                    binding.value = MISSING
            self._cache.clear()
        errors = await close_all(closers)
        if errors:
            raise ExceptionGroup("errors while shutting down the registry", errors)

    async def __aenter__(self) -> Registry:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    def clear(self) -> None:
        """Forget every binding, port and override (closers are dropped unrun)."""
        with self._lock:
            self._index.clear()
            self._bindings.clear()
            self._by_provider.clear()
            self._ports.clear()
            self._port_by_name.clear()
            self._names.clear()
            self._overrides.clear()
            self._closers.clear()
            self._invalidate()

    # -- internals used by the compiler -----------------------------------------------------
    def _invalidate(self) -> None:
        self._generation += 1
        if self._plans or self._getters or self._cache:
            self._plans.clear()
            self._getters.clear()
            self._cache.clear()

    def _active(self) -> list[Binding]:
        profiles = self.profiles
        return [
            b for b in self._bindings if b.profiles is None or profile_matches(b.profiles, profiles)
        ]

    def _candidates(self, key: Any) -> list[Binding]:
        port: Any = self._port_by_name.get(key) if isinstance(key, str) else key
        meta = self._ports.get(port)
        if meta is None:
            return self._index.get(key) or []
        found = list(self._index.get(key, ()))
        if meta is not None:
            for extra in (port, meta.name):
                for binding in self._index.get(extra, ()):
                    if binding not in found:
                        found.append(binding)
        return found

    def _override_for(self, key: Any) -> Binding | None:
        return self._overrides.get(key) if self._overrides else None

    def _is_port(self, key: Any) -> bool:
        return key in self._ports or key in self._port_by_name

    def _self_key(self, key: Any) -> bool:
        return isinstance(key, type) and issubclass(key, Registry) and isinstance(self, key)

    def _class_names(self) -> Mapping[str, Any]:
        return self._names
