"""A binding: what provides an object, under which keys, scope and profiles."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rfs.di.errors import RegistrationError
from rfs.di.markers import MISSING, ProfileLike, normalize_profiles
from rfs.di.scopes import Scope, ScopeLike, as_scope


def label_of(key: Any) -> str:
    """A short human name for a key (class name, or the quoted binding name)."""
    if isinstance(key, str):
        return repr(key)
    return str(getattr(key, "__name__", key))


@dataclass(eq=False, slots=True)
class Binding:
    """One provider registered in a registry.

    ``provider`` is a class or factory (sync, async, generator or async generator); an instance
    binding has ``provider=None`` and the given object in ``instance``. Objects made from a
    binding live in the registry's instance container, not here.
    """

    provider: Callable[..., Any] | None
    scope: Scope
    name: str
    kind: str
    keys: tuple[Any, ...]
    profiles: tuple[str, ...] | None = None
    primary: bool = False
    lazy: bool = False
    instance: Any = MISSING
    generator: str | None = field(default=None)
    label: str = field(default="", init=False)
    """The name shown in error chains (the class name, else the binding name)."""

    def __post_init__(self) -> None:
        provider = self.provider
        if isinstance(provider, type):
            self.label = provider.__name__
            return
        self.label = self.name
        if provider is not None:
            if inspect.isasyncgenfunction(provider):
                self.generator = "async"
            elif inspect.isgeneratorfunction(provider):
                self.generator = "sync"

    @property
    def preset(self) -> bool:
        """Whether this binding provides a ready object (``register(key, instance=...)``)."""
        return self.instance is not MISSING

    def describe(self) -> str:
        """``Label (profile 'test')`` for messages about candidates."""
        if self.profiles is None:
            return self.label
        return f"{self.label} (profile {', '.join(repr(p) for p in self.profiles)})"


def make_binding(
    key: Any,
    provider: Any,
    instance: Any,
    name: str | None,
    scope: ScopeLike | None,
    primary: bool,
    lazy: bool,
    profile: ProfileLike,
    kind: str = "binding",
) -> Binding:
    """A binding from ``register``/``override`` arguments (instance, class or factory)."""
    if instance is not MISSING:
        return Binding(
            provider=None,
            scope=Scope.SINGLETON,
            name=name or label_of(key).strip("'"),
            kind="instance",
            keys=tuple(dict.fromkeys([key, name] if name else [key])),
            profiles=normalize_profiles(profile),
            primary=primary,
            lazy=lazy,
            instance=instance,
        )
    if not callable(provider):
        raise RegistrationError(
            f"register({label_of(key)}, {provider!r}): the provider must be a class or a "
            "callable; pass ready objects as instance="
        )
    chosen = as_scope(scope) if scope is not None else Scope.SINGLETON
    default_name = provider.__name__ if isinstance(provider, type) else label_of(key)
    keys: list[Any] = [key]
    if isinstance(provider, type) and provider is not key:
        keys.append(provider)
    binding_name = name or default_name.strip("'")
    keys.append(binding_name)
    binding = Binding(
        provider=provider,
        scope=chosen,
        name=binding_name,
        kind=kind,
        keys=tuple(dict.fromkeys(keys)),
        profiles=normalize_profiles(profile),
        primary=primary,
        lazy=lazy,
    )
    if binding.generator is not None and chosen is Scope.PROTOTYPE:
        raise RegistrationError(
            f"{binding.label}: a generator factory needs a tracked scope (singleton or "
            "request) so its teardown runs; prototypes are not tracked"
        )
    return binding
