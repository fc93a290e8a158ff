"""RFS v4 entry points: ``AnnotationRegistry``, ``StatelessRegistry``, ``inject``, scope enums.

Code written against ``rfs.core`` v4 keeps working: the names and call shapes are the same,
backed by :class:`~rfs.di.registry.Registry`.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from rfs.di.errors import DIError
from rfs.di.markers import ProfileLike, meta_of
from rfs.di.registry import Registry
from rfs.di.scopes import Scope

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

ServiceScope = Scope
"""v4 name of :class:`~rfs.di.scopes.Scope`."""
ComponentScope = Scope
"""v4 name of :class:`~rfs.di.scopes.Scope`."""


class AnnotationRegistry(Registry):
    """The v4 annotation container: a :class:`Registry` with v4's method names.

    ``AnnotationRegistry(current_profile="prod")`` equals ``Registry(profile="prod")``.
    """

    def __init__(self, current_profile: ProfileLike = None, *, profile: ProfileLike = None) -> None:
        super().__init__(profile if profile is not None else current_profile)

    @property
    def current_profile(self) -> str:
        """v4 name of :attr:`Registry.profile`."""
        return self.profile

    def auto_register_module(self, module: types.ModuleType) -> list[type]:
        """Register every annotated class defined in ``module`` (v4 name of ``scan``)."""
        return self.scan(module)

    def get_by_port(self, port_name: Any, profile: str | None = None) -> Any:
        """The adapter for a port (by class or name); ``profile`` must be active if given."""
        if profile is not None and profile not in self.profiles:
            raise DIError(
                f"get_by_port({port_name!r}, profile={profile!r}): this registry runs profile "
                f"{self.profile!r}; build AnnotationRegistry(current_profile={profile!r})"
            )
        return self.resolve(port_name)

    def validate_registrations(self) -> list[str]:
        """v4 form of :meth:`Registry.problems`: one message per problem, empty when fine."""
        return [str(error) for error in self.problems()]


def get_annotation_registry(profile: ProfileLike = None) -> AnnotationRegistry:
    """A new ``AnnotationRegistry`` holding every class annotated so far (v4 helper)."""
    from rfs.di.annotations import default_registry

    registry = AnnotationRegistry(profile)
    for cls in default_registry().classes():
        if meta_of(cls) is not None:
            registry.register_class(cls)
    return registry


class ServiceRegistry:
    """v4's named service registry: ``register(name, cls, scope, dependencies, lazy)``, ``get``.

    A non-lazy singleton is created at registration, as in v4. ``registry`` is the
    :class:`Registry` underneath, for everything v4 did not have.
    """

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry if registry is not None else Registry()

    def register(
        self,
        name: str,
        service_class: type[Any],
        scope: Scope | str = Scope.SINGLETON,
        dependencies: list[str] | None = None,
        lazy: bool = False,
    ) -> None:
        """Register ``service_class`` under ``name``; ``dependencies`` are names passed in order."""
        provider: Callable[..., Any] = service_class
        if dependencies:
            names = list(dependencies)

            def factory() -> Any:
                return service_class(*[self.registry.resolve(dep) for dep in names])

            provider = factory
        self.registry.register(name, provider, name=name, scope=scope, lazy=lazy)
        if not lazy and scope in (Scope.SINGLETON, "singleton"):
            self.registry.resolve(name)

    def get(self, name: str) -> Any:
        """The service registered under ``name``."""
        return self.registry.resolve(name)

    def list_services(self) -> list[str]:
        """Names of the registered services."""
        return self.registry.list_services()

    def clear(self) -> None:
        """Forget every service."""
        self.registry.clear()


class StatelessRegistry:
    """v4's class-level service registry: ``@StatelessRegistry.register("name")``, ``get``.

    Backed by one process-wide :class:`Registry` (``StatelessRegistry.registry``); dependencies
    are injected from constructor type hints or, as in v4, by the ``dependencies=`` names.
    """

    registry: ClassVar[Registry] = Registry()

    @classmethod
    def register(
        cls, name: str | None = None, dependencies: list[str] | None = None
    ) -> Callable[[type[T]], type[T]]:
        """Decorator registering a class as a singleton under ``name`` (default: class name)."""

        def decorator(service_class: type[T]) -> type[T]:
            label = name or service_class.__name__
            if dependencies:
                names = list(dependencies)

                def factory(_c: type[T] = service_class) -> T:
                    return _c(*[cls.registry.resolve(dep) for dep in names])

                cls.registry.register(label, factory, name=label)
            else:
                cls.registry.register(service_class, service_class, name=label)
            return service_class

        return decorator

    @classmethod
    def get(cls, name: str) -> Any:
        """The service registered under ``name``."""
        return cls.registry.resolve(name)

    @classmethod
    def list_services(cls) -> list[str]:
        """Names of the registered services."""
        return cls.registry.list_services()

    @classmethod
    def clear(cls) -> None:
        """Forget every service (tests)."""
        cls.registry.clear()


def stateless(cls: type[T]) -> type[T]:
    """v4 decorator: register ``cls`` in :class:`StatelessRegistry` under its class name."""
    return StatelessRegistry.register()(cls)


def inject(*dependency_names: str) -> Callable[[F], F]:
    """v4 decorator: append the named services from :class:`StatelessRegistry` to the call."""

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            services = [StatelessRegistry.get(dep) for dep in dependency_names]
            return func(*args, *services, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
