"""The public container: registration, profiles, resolution, overrides, validation, lifecycle.

A :class:`Registry` puts two parts behind one API: the binding index
(:class:`~rfs.di.index.BindingIndex`, what is declared) and the instance container
(:class:`~rfs.di.container.Instances`, what has been made), joined by the plan compiler.
"""

from __future__ import annotations

import contextvars
import functools
import importlib
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar, overload

from rfs.di.bindings import Binding, make_binding
from rfs.di.container import Instances
from rfs.di.errors import ContainerValidationError, DIError, PortMismatchError, RegistrationError
from rfs.di.index import BindingIndex
from rfs.di.lifecycle import close_all
from rfs.di.markers import MISSING, ProfileLike, active_profiles, meta_of, profile_matches
from rfs.di.plan import Compiler, Plan, dependents, meta_keys, port_mismatch
from rfs.di.request import Activation, RequestScope
from rfs.di.scopes import Scope, ScopeLike

T = TypeVar("T")


class Resolve(Protocol):
    """The type of ``Registry.resolve``/``get``: a class or port gives its instance type.

    The ``Callable[..., T]`` form lets ``@Port`` Protocols and abstract classes type-check
    under mypy (which refuses them where ``type[T]`` is expected).
    """

    @overload
    def __call__(self, key: type[T], /) -> T: ...
    @overload
    def __call__(self, key: Callable[..., T], /) -> T: ...
    @overload
    def __call__(self, key: str, /) -> Any: ...


_ACTIVE: contextvars.ContextVar[Registry | None] = contextvars.ContextVar(
    "rfs_di_registry", default=None
)


def current_registry() -> Registry | None:
    """The registry active in this context, if any.

    A registry is active inside ``registry.activate()``, ``registry.request_scope()`` and
    ``async with registry:``. Libraries that take their collaborators from the application's
    container at call time (``@Transactional`` finding its ``TransactionManager``) read it.
    """
    return _ACTIVE.get()


class Registry:
    """A dependency-injection container for one application (or one test).

    ``profile`` selects adapters (``"test"``, ``"prod"``, or several); it defaults to
    ``RFS_PROFILE`` and then ``"default"``. Register classes with the annotations
    (``@Component(registry=...)``), ``register(...)`` or ``scan(package)``; call
    ``validate()`` (or ``await start()``) at startup so wiring errors surface before traffic.
    """

    __slots__ = {  # noqa: RUF023 - public attributes first
        "resolve": "The object for a type, port or binding name: ``registry.resolve(Port)``.\n\n"
        "It is the instance container's C-level lookup, so resolving a created singleton "
        "runs no Python code; anything else is created on the first miss.",
        "get": "The same as ``resolve``.",
        "profiles": "The active profiles.",
        "__weakref__": "",
        "_compiler": "",
        "_entered": "",
        "_index": "",
        "_instances": "",
        "_lock": "",
    }

    resolve: Resolve
    get: Resolve

    def __init__(self, profile: ProfileLike = None) -> None:
        self.profiles: frozenset[str] = active_profiles(profile)
        self._lock = threading.RLock()
        self._index = BindingIndex(self.profiles)
        self._instances = Instances(self._plan_for_key, self._lock)
        self._compiler = Compiler(self._index, self._instances.getter_for, self, Registry)
        self._entered: list[contextvars.Token[Registry | None]] = []
        self.resolve = self.get = self._instances.lookup.__getitem__

    # -- introspection ----------------------------------------------------------------------
    @property
    def profile(self) -> str:
        """The active profiles as one comma-separated string."""
        return ",".join(sorted(self.profiles))

    def __repr__(self) -> str:
        return f"Registry(profile={self.profile!r}, bindings={len(self._index)})"

    def __contains__(self, key: object) -> bool:
        try:
            return self._index.select(key, (), required=False) is not None
        except DIError:
            return True

    def list_services(self) -> list[str]:
        """Names of the bindings active under the current profiles."""
        return [b.name for b in self._index.active()]

    def bindings(self) -> list[Binding]:
        """The bindings active under the current profiles, in registration order."""
        return self._index.active()

    def classes(self) -> list[type]:
        """Every class registered so far (ports included), in registration order."""
        return self._index.classes()

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
        self._add(make_binding(key, provider, instance, name, scope, primary, lazy, profile))
        return provider if instance is MISSING else instance

    def register_class(self, cls: type) -> Binding | None:
        """Register a class by its annotation (``@Port`` records the port, others bind)."""
        meta = meta_of(cls)
        if meta is None:
            raise RegistrationError(
                f"{cls.__qualname__} has no RFS annotation; decorate it (@Component, @Adapter, "
                f"...) or call registry.register({cls.__name__})"
            )
        if meta.kind == "port":
            with self._lock:
                self._index.add_port(cls, meta)
                self._changed()
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
            replaced = self._index.add(binding)
            if replaced is not None:
                self._instances.discard(replaced)
            self._changed()

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
    def resolve_optional(self, key: type[T], /) -> T | None: ...
    @overload
    def resolve_optional(self, key: Callable[..., T], /) -> T | None: ...
    @overload
    def resolve_optional(self, key: str, /) -> Any: ...
    def resolve_optional(self, key: Any, /) -> Any:
        """The object for ``key``, or ``None`` when nothing provides it under these profiles."""
        value = self._instances.lookup.get(key, MISSING)
        if value is not MISSING:
            return value
        with self._lock:
            if self._index.select(key, (), required=False) is None:
                return None
        return self.resolve(key)

    @overload
    async def aresolve(self, key: type[T], /) -> T: ...
    @overload
    async def aresolve(self, key: Callable[..., T], /) -> T: ...
    @overload
    async def aresolve(self, key: str, /) -> Any: ...
    async def aresolve(self, key: Any, /) -> Any:
        """Resolve, awaiting async factories, async ``on_start`` and async context managers."""
        value = self._instances.lookup.get(key, MISSING)
        if value is not MISSING:
            return value
        with self._lock:
            plan = self._plan_for_key(key)
        return await self._instances.aget(plan)

    def _plan_for_key(self, key: Any) -> Plan:
        if self._compiler.is_owner_key(key):
            raise RegistrationError("resolve the registry itself? you already have it")
        return self._compiler.plan_for_key(key)

    # -- context ----------------------------------------------------------------------------
    def activate(self) -> Activation[Registry]:
        """Make this the active registry for a block: ``with registry.activate(): ...``.

        Inside (also ``async with``), ``current_registry()`` returns it, so ``@Transactional``
        code uses the ``TransactionManager`` bound here. ``request_scope()`` and
        ``async with registry:`` activate the registry too.
        """
        return Activation(_ACTIVE, self)

    def request_scope(self) -> RequestScope:
        """Open a request scope: ``async with registry.request_scope(): ...``."""
        return RequestScope(self._instances.request, _ACTIVE, self)

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
                current = self._index.select(key, (), required=False)
                scope = current.scope if current is not None else Scope.SINGLETON
            binding = make_binding(
                key, provider, instance, None, scope, True, True, None, "override"
            )
            before = dependents(self._compiler.plans, key)
            saved = self._instances.take(before)
            previous = self._index.set_override(key, binding)
            self._changed()
        try:
            yield
        finally:
            with self._lock:
                after = dependents(self._compiler.plans, key)
                self._instances.put_back(after | before | {binding}, saved)
                self._index.set_override(key, previous)
                self._changed()

    # -- validation and lifecycle -----------------------------------------------------------
    def problems(self) -> list[DIError]:
        """Every wiring error in the active graph, deduped.

        Missing bindings, ambiguous adapters, cycles, scope violations, and adapters lacking
        members their port declares.
        """
        found: dict[Any, DIError] = {}
        index = self._index
        with self._lock:
            active = index.active()
            for binding in active:
                _collect(functools.partial(self._compiler.plan_for, binding), found)
            for port in index.ports():
                matching = [
                    b
                    for b in index.candidates(port)
                    if b in index and profile_matches(b.profiles, self.profiles)
                ]
                if len(matching) > 1:
                    _collect(functools.partial(index.select, port, ()), found)
            for binding in active:
                for key in binding.keys:
                    if isinstance(key, type) and index.is_port(key) and key is not binding.provider:
                        mismatch = port_mismatch(binding, key)
                        if mismatch is not None:
                            found[(PortMismatchError, mismatch.root)] = mismatch
        return list(found.values())

    def validate(self) -> None:
        """Check the whole graph now; raise ``ContainerValidationError`` listing every problem."""
        errors = self.problems()
        if errors:
            raise ContainerValidationError(errors)

    async def start(self) -> None:
        """Validate, then create every non-lazy singleton (awaiting async ones) in order."""
        self.validate()
        with self._lock:
            plans = [self._compiler.plan_for(b) for b in self._index.active()]
        for plan in plans:
            binding = plan.binding
            if binding.scope is Scope.SINGLETON and not binding.lazy:
                await self._instances.aget(plan)

    async def shutdown(self) -> None:
        """Close singletons in reverse creation order (``on_stop``, context managers, generators).

        Every closer runs; failures are raised together afterwards as an ``ExceptionGroup``.
        The registry can be started again.
        """
        with self._lock:
            closers = self._instances.reset()
        errors = await close_all(closers)
        if errors:
            raise ExceptionGroup("errors while shutting down the registry", errors)

    async def __aenter__(self) -> Registry:
        await self.start()
        self._entered.append(_ACTIVE.set(self))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._entered:
            _ACTIVE.reset(self._entered.pop())
        await self.shutdown()

    def clear(self) -> None:
        """Forget every binding, port and override (closers are dropped unrun)."""
        with self._lock:
            self._index.clear()
            self._instances.reset()
            self._changed()

    def _changed(self) -> None:
        """Drop compiled plans and cached lookups after the index changed (lock held)."""
        self._compiler.invalidate()
        self._instances.invalidate()


def _collect(step: Callable[[], object], found: dict[Any, DIError]) -> None:
    """Run ``step``; file each wiring error it raises (and its related ones) by root."""
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
