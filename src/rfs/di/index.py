"""The binding index: what is registered under which keys, and which binding a key selects.

It holds declarations only (bindings, ports, overrides, class names); the objects made from
them live in the instance container (:mod:`rfs.di.container`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rfs.di.bindings import Binding, label_of
from rfs.di.errors import AmbiguousBindingError, MissingBindingError, format_chain
from rfs.di.markers import ComponentMeta, profile_matches

SelectionError = MissingBindingError | AmbiguousBindingError


class BindingIndex:
    """Bindings by key under one set of active profiles, with test overrides on top.

    Not thread-safe by itself: the :class:`~rfs.di.registry.Registry` mutates it under its lock.
    """

    __slots__ = (
        "_by_provider",
        "_index",
        "_names",
        "_order",
        "_overrides",
        "_port_by_name",
        "_ports",
        "profiles",
    )

    def __init__(self, profiles: frozenset[str]) -> None:
        self.profiles = profiles
        self._index: dict[Any, list[Binding]] = {}
        self._order: dict[Binding, None] = {}
        self._by_provider: dict[tuple[Any, tuple[str, ...] | None], Binding] = {}
        self._ports: dict[Any, ComponentMeta] = {}
        self._port_by_name: dict[str, Any] = {}
        self._names: dict[str, Any] = {}
        self._overrides: dict[Any, Binding] = {}

    # -- contents ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._order)

    @property
    def names(self) -> Mapping[str, Any]:
        """Registered classes by ``__name__`` (the fallback namespace for string type hints)."""
        return self._names

    def classes(self) -> list[type]:
        """Every class registered so far (ports included), in registration order."""
        return [value for value in self._names.values() if isinstance(value, type)]

    def active(self) -> list[Binding]:
        """The bindings that apply under the active profiles, in registration order."""
        profiles = self.profiles
        return [b for b in self._order if profile_matches(b.profiles, profiles)]

    def ports(self) -> list[Any]:
        """The ``@Port`` classes recorded so far."""
        return list(self._ports)

    def is_port(self, key: Any) -> bool:
        """Whether ``key`` is a recorded port class or port name."""
        return key in self._ports or key in self._port_by_name

    def __contains__(self, binding: object) -> bool:
        return binding in self._order

    # -- changes -----------------------------------------------------------------------------
    def add_port(self, cls: type, meta: ComponentMeta) -> None:
        """Record ``cls`` as a port, findable by class and by name."""
        self._names[cls.__name__] = cls
        self._ports[cls] = meta
        self._port_by_name[meta.name] = cls
        self._port_by_name[cls.__name__] = cls

    def add(self, binding: Binding) -> Binding | None:
        """Index ``binding``; returns the binding it replaced (same provider and profiles)."""
        replaced: Binding | None = None
        if binding.provider is not None:
            ident = (binding.provider, binding.profiles)
            replaced = self._by_provider.get(ident)
            if replaced is not None:
                self._drop(replaced)
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
        self._order[binding] = None
        return replaced

    def _drop(self, binding: Binding) -> None:
        for key in binding.keys:
            entries = self._index.get(key, [])
            if binding in entries:
                entries.remove(binding)
        self._order.pop(binding, None)

    def set_override(self, key: Any, binding: Binding | None) -> Binding | None:
        """Make ``binding`` provide ``key`` (``None``: no override); returns the previous one."""
        previous = self._overrides.get(key)
        if binding is None:
            self._overrides.pop(key, None)
        else:
            self._overrides[key] = binding
        return previous

    def overrides(self) -> list[Binding]:
        """The override bindings in force."""
        return list(self._overrides.values())

    def clear(self) -> None:
        """Forget every binding, port, class name and override."""
        for table in (
            self._index,
            self._order,
            self._by_provider,
            self._ports,
            self._port_by_name,
            self._names,
            self._overrides,
        ):
            table.clear()

    # -- selection ---------------------------------------------------------------------------
    def candidates(self, key: Any) -> list[Binding]:
        """Every binding registered for ``key`` whatever its profile (a port: also by name)."""
        port: Any = self._port_by_name.get(key) if isinstance(key, str) else key
        meta = self._ports.get(port)
        if meta is None:
            return self._index.get(key) or []
        found = list(self._index.get(key, ()))
        for extra in (port, meta.name):
            for binding in self._index.get(extra, ()):
                if binding not in found:
                    found.append(binding)
        return found

    def select(
        self, key: Any, chain: tuple[str, ...] = (), required: bool = True
    ) -> Binding | None:
        """The binding providing ``key`` under the active profiles (``None`` if optional)."""
        if self._overrides:
            override = self._overrides.get(key)
            if override is not None:
                return override
        everything = self.candidates(key)
        if len(everything) == 1 and everything[0].profiles is None:
            return everything[0]
        active = [b for b in everything if profile_matches(b.profiles, self.profiles)]
        if len(active) == 1:
            return active[0]
        if active:
            primaries = [b for b in active if b.primary]
            if len(primaries) == 1:
                return primaries[0]
            raise self._ambiguous(key, chain, active, primaries)
        if not required:
            return None
        raise self._missing(key, chain, everything)

    def _missing(
        self, key: Any, chain: tuple[str, ...], inactive: list[Binding]
    ) -> MissingBindingError:
        path = (*chain, label_of(key))
        where = format_chain(path)
        name = label_of(key)
        if inactive:
            elsewhere = ", ".join(
                repr(p) for p in sorted({p for b in inactive for p in b.profiles or ()})
            )
            which = ", ".join(b.label for b in inactive)
            message = (
                f"{where}: no adapter for {profiles_text(self.profiles)}; adapters exist "
                f"for {elsewhere} ({which}); fix: activate one of those profiles "
                "(Registry(profile=...) or RFS_PROFILE), or "
                f"add @Adapter(port={name}, profile=...) for the active one"
            )
        elif self.is_port(key):
            message = (
                f"{where}: no adapter registered for port {name}; fix: add a class decorated "
                f"@Adapter(port={name}) and register or scan it"
            )
        elif isinstance(key, str):
            message = (
                f"{where}: nothing is registered under the name {name}; fix: register one with "
                f"name={name} or correct the Inject(name=...)"
            )
        else:
            message = (
                f"{where}: nothing provides {name}; fix: decorate it with @Component (or "
                f"@Adapter), call registry.register({name}), or give the parameter a default"
            )
        return MissingBindingError(message, path, ("missing", key))

    def _ambiguous(
        self, key: Any, chain: tuple[str, ...], active: list[Binding], primaries: list[Binding]
    ) -> AmbiguousBindingError:
        path = (*chain, label_of(key))
        shown = primaries or active
        names = ", ".join(b.describe() for b in shown)
        what = "primary adapters" if primaries else "adapters"
        return AmbiguousBindingError(
            f"{format_chain(path)}: {len(shown)} {what} match under "
            f"{profiles_text(self.profiles)}: {names}; fix: mark exactly one primary=True, "
            f"give them different profiles, or inject one by name with "
            f"Annotated[{label_of(key)}, Inject(name=...)]",
            path,
            ("ambiguous", key),
        )


def profiles_text(profiles: frozenset[str] | Sequence[str]) -> str:
    """``profile 'test'`` / ``profiles 'a', 'b'`` for messages."""
    names = sorted(profiles)
    word = "profile" if len(names) == 1 else "profiles"
    return f"{word} {', '.join(repr(p) for p in names)}"
