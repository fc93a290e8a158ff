"""A binding: what provides an object, under which keys, scope and profiles."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rfs.di.markers import MISSING
from rfs.di.scopes import Scope


def label_of(key: Any) -> str:
    """A short human name for a key (class name, or the quoted binding name)."""
    if isinstance(key, str):
        return repr(key)
    return str(getattr(key, "__name__", key))


@dataclass(eq=False, slots=True)
class Binding:
    """One provider registered in a registry.

    ``provider`` is a class or factory (sync, async, generator or async generator); an instance
    binding has ``provider=None`` and its ``value`` preset. Singleton values live here once made.
    """

    provider: Callable[..., Any] | None
    scope: Scope
    name: str
    kind: str
    keys: tuple[Any, ...]
    profiles: tuple[str, ...] | None = None
    primary: bool = False
    lazy: bool = False
    value: Any = MISSING
    preset: bool = False
    generator: str | None = field(default=None)

    def __post_init__(self) -> None:
        provider = self.provider
        if provider is not None and not isinstance(provider, type):
            if inspect.isasyncgenfunction(provider):
                self.generator = "async"
            elif inspect.isgeneratorfunction(provider):
                self.generator = "sync"

    @property
    def label(self) -> str:
        """The name shown in error chains."""
        if isinstance(self.provider, type):
            return self.provider.__name__
        return self.name

    def describe(self) -> str:
        """``Label (profile 'test')`` for messages about candidates."""
        if self.profiles is None:
            return self.label
        return f"{self.label} (profile {', '.join(repr(p) for p in self.profiles)})"
