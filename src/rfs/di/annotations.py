"""Spring-style annotations: ``@Port``, ``@Adapter``, ``@Component``, ``@UseCase``, ``@Controller``.

Each works bare (``@Component``) or called (``@Component(scope="prototype")``). It records a
:class:`~rfs.di.markers.ComponentMeta` on the class and registers it into ``registry=`` when
given, else into the process-wide :func:`default_registry`. ``Registry.scan(package)`` picks
annotated classes up into any other registry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

from rfs.di.errors import RegistrationError
from rfs.di.markers import META_ATTR, ComponentMeta, ProfileLike, meta_of, normalize_profiles
from rfs.di.registry import Registry
from rfs.di.scopes import Scope, ScopeLike, as_scope

T = TypeVar("T")

_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry used by annotations without ``registry=`` (made on first use)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Registry()
    return _default


def set_default_registry(registry: Registry | None) -> None:
    """Replace (or with ``None``, reset) the process-wide registry."""
    global _default
    _default = registry


_BARE = ComponentMeta("component", "")


class Annotation:
    """One annotation kind; an instance is the decorator (``Component``, ``Adapter``, ...)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __repr__(self) -> str:
        return f"<rfs.di annotation {self.kind}>"

    @overload
    def __call__(self, cls: type[T], /) -> type[T]: ...
    @overload
    def __call__(
        self,
        target: str | Any | None = None,
        /,
        *,
        name: str | None = None,
        scope: ScopeLike = Scope.SINGLETON,
        primary: bool = False,
        lazy: bool = False,
        profile: ProfileLike = None,
        port: Any = None,
        route: str | None = None,
        registry: Registry | None = None,
    ) -> Callable[[type[T]], type[T]]: ...

    def __call__(
        self,
        target: Any = None,
        /,
        *,
        name: str | None = None,
        scope: ScopeLike = Scope.SINGLETON,
        primary: bool = False,
        lazy: bool = False,
        profile: ProfileLike = None,
        port: Any = None,
        route: str | None = None,
        registry: Registry | None = None,
    ) -> Any:
        """Decorate a class, or take options and return the decorator."""
        if isinstance(target, type) and not self._is_port_reference(target):
            return self._apply(target, _BARE, None)
        if isinstance(target, str):
            if self.kind == "adapter":
                port = target
            elif self.kind == "controller" and target.startswith("/"):
                route = target
            else:
                name = target
        elif target is not None:
            port = target
        if port is not None and self.kind != "adapter":
            raise RegistrationError(f"@{self.title}: port= is only for @Adapter")
        template = ComponentMeta(
            self.kind,
            name or "",
            as_scope(scope),
            primary,
            lazy,
            normalize_profiles(profile),
            port,
            route,
        )

        def decorator(cls: type[T]) -> type[T]:
            return self._apply(cls, template, registry)

        return decorator

    @property
    def title(self) -> str:
        """The annotation's display name (``UseCase``)."""
        return "".join(part.title() for part in self.kind.split("_"))

    def _is_port_reference(self, target: type) -> bool:
        meta = meta_of(target)
        return self.kind == "adapter" and meta is not None and meta.kind == "port"

    def _apply(self, cls: type[T], template: ComponentMeta, registry: Registry | None) -> type[T]:
        if not isinstance(cls, type):
            raise RegistrationError(f"@{self.title} decorates classes; got {cls!r}")
        meta = ComponentMeta(self.kind, template.name or cls.__name__, *template[2:])
        type.__setattr__(cls, META_ATTR, meta)
        (registry if registry is not None else default_registry()).register_class(cls)
        return cls


Port = Annotation("port")
"""Marks an interface (``Protocol`` or ABC) that adapters implement."""
Adapter = Annotation("adapter")
"""Marks an implementation of a port: ``@Adapter(port=PaymentGateway, profile="prod")``."""
Component = Annotation("component")
"""Marks a plain injectable class (singleton by default)."""
UseCase = Annotation("use_case")
"""Marks an application service orchestrating ports."""
Controller = Annotation("controller")
"""Marks an inbound adapter (HTTP handler, CLI command, consumer)."""
Service = Annotation("service")
"""v4 alias of ``@Component`` for the service layer."""
Repository = Annotation("repository")
"""v4 alias of ``@Component`` for repositories."""

port = Port
adapter = Adapter
component = Component
use_case = UseCase
controller = Controller
service = Service
repository = Repository


def Injectable(cls: type[T]) -> type[T]:
    """v4 spelling of a bare ``@Component``."""
    return Component(cls)


injectable = Injectable


def is_annotated(cls: object) -> bool:
    """Whether ``cls`` carries an RFS annotation of its own."""
    return meta_of(cls) is not None


def is_port(cls: object) -> bool:
    """Whether ``cls`` is decorated ``@Port``."""
    meta = meta_of(cls)
    return meta is not None and meta.kind == "port"


def is_adapter(cls: object) -> bool:
    """Whether ``cls`` is decorated ``@Adapter``."""
    meta = meta_of(cls)
    return meta is not None and meta.kind == "adapter"
