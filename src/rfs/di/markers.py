"""Metadata attached to annotated classes and the ``Inject`` qualifier marker."""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Final, NamedTuple

from rfs.di.scopes import Scope

META_ATTR: Final = "__rfs_component__"
PROFILE_ENV: Final = "RFS_PROFILE"


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING: Final = _Missing.MISSING
"""Sentinel for 'no value' where ``None`` is a valid value."""

ProfileLike = str | Iterable[str] | None


def normalize_profiles(profile: ProfileLike) -> tuple[str, ...] | None:
    """``"test"``, ``"test,dev"`` or ``["test", "!prod"]`` -> a tuple; ``None`` means any."""
    if profile is None:
        return None
    items = profile.split(",") if isinstance(profile, str) else list(profile)
    cleaned = tuple(p.strip() for p in items if p.strip())
    return cleaned or None


def active_profiles(profile: ProfileLike) -> frozenset[str]:
    """The registry's active profiles: the argument, else ``RFS_PROFILE``, else ``default``."""
    chosen = normalize_profiles(profile) or normalize_profiles(os.environ.get(PROFILE_ENV))
    return frozenset(chosen or ("default",))


def profile_matches(wanted: tuple[str, ...] | None, active: frozenset[str]) -> bool:
    """Spring semantics: any entry matches; ``!p`` matches when ``p`` is not active."""
    if wanted is None:
        return True
    return any((p[1:] not in active) if p.startswith("!") else (p in active) for p in wanted)


class ComponentMeta(NamedTuple):
    """What an annotation recorded on a class (read by ``Registry.register`` and ``scan``)."""

    kind: str
    name: str
    scope: Scope = Scope.SINGLETON
    primary: bool = False
    lazy: bool = False
    profiles: tuple[str, ...] | None = None
    port: object = None
    route: str | None = None


def meta_of(cls: object) -> ComponentMeta | None:
    """The metadata recorded on ``cls`` itself (never inherited from a base class)."""
    namespace = getattr(cls, "__dict__", None)
    if namespace is None:
        return None
    meta = namespace.get(META_ATTR)
    return meta if isinstance(meta, ComponentMeta) else None


@dataclass(frozen=True, slots=True)
class Inject:
    """Qualifies a constructor parameter: ``db: Annotated[Database, Inject(name="replica")]``.

    ``Inject[Database, "replica"]`` is shorthand for the same ``Annotated`` form, and
    ``Inject[Database]`` for an unqualified dependency.
    """

    name: str | None = None

    def __class_getitem__(cls, item: Any) -> Any:
        if isinstance(item, tuple):
            target, name = item
            return Annotated[target, cls(name=name)]
        return Annotated[item, cls()]
