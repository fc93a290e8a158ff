"""``PluginRegistry``: plugin names mapped to ``module`` or ``module:attr``, imported lazily."""

from __future__ import annotations

import importlib
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from rfs.plugins.discovery import ENTRY_POINT_GROUP, installed_plugins
from rfs.plugins.errors import PluginError, PluginImportError, PluginNotFound
from rfs.result import Failure, Result, Success

__all__ = ["PluginInfo", "PluginRegistry"]

log = logging.getLogger("rfs.plugins")

_TARGET = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)?$")


@dataclass(frozen=True)
class PluginInfo:
    """A known plugin: its target, where it came from, and whether it is loaded yet."""

    name: str
    target: str
    source: str  # "registered" or "entry point"
    distribution: str | None = None
    version: str | None = None
    loaded: bool = False


class PluginRegistry:
    """Named plugins, each imported the first time it is loaded.

    Example (seed 000)::

        registry = PluginRegistry()
        registry.register("saga", "rfs_extensions.saga")
        saga = registry.load("saga")   # Success(module), or Failure(PluginImportError)
    """

    def __init__(self) -> None:
        self._plugins: dict[str, PluginInfo] = {}
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()

    def register(self, name: str, module_path: str, *, replace: bool = False) -> None:
        """Record ``name`` → ``module_path`` (``pkg.module`` or ``pkg.module:attr``); no import.

        Registering a name again with another target is an error unless ``replace=True``.
        """
        self._add(PluginInfo(name, module_path, "registered"), replace=replace)

    def discover(self, group: str = ENTRY_POINT_GROUP) -> list[PluginInfo]:
        """Register the installed plugins of the entry-point ``group``; returns those added.

        A name already registered keeps its target (explicit registration wins).
        """
        added = []
        for name, target, dist, version in installed_plugins(group):
            if name in self._plugins:
                log.info("plugin %r from %s ignored: already registered", name, dist)
                continue
            info = PluginInfo(name, target, "entry point", dist, version)
            self._add(info, replace=False)
            added.append(info)
        return added

    def load(self, name: str) -> Result[Any, PluginError]:
        """The plugin's module (or attribute), imported on first use and then cached.

        ``Failure(PluginNotFound)`` for an unknown name; ``Failure(PluginImportError)`` naming
        the module when it fails to import (not cached: a later call tries again).
        """
        try:
            return Success(self._loaded[name])
        except KeyError:
            pass
        info = self._plugins.get(name)
        if info is None:
            return Failure(PluginNotFound(name, self._plugins))
        with self._lock:
            if name in self._loaded:
                return Success(self._loaded[name])
            try:
                value = _import(info.target)
            except Exception as exc:  # any import-time error is the plugin's, reported
                return Failure(PluginImportError(name, info.target, exc))
            self._loaded[name] = value
        return Success(value)

    def require(self, name: str) -> Any:
        """Like :meth:`load` but raising the ``PluginError`` (for plugins the app cannot lack)."""
        outcome = self.load(name)
        if isinstance(outcome, Failure):
            raise outcome.error
        return outcome.value

    def names(self) -> list[str]:
        return sorted(self._plugins)

    def plugins(self) -> list[PluginInfo]:
        """Every known plugin, sorted by name, with ``loaded`` telling whether it was imported."""
        return [
            PluginInfo(**{**vars(info), "loaded": name in self._loaded})
            for name, info in sorted(self._plugins.items())
        ]

    def __contains__(self, name: object) -> bool:
        return name in self._plugins

    def __len__(self) -> int:
        return len(self._plugins)

    def _add(self, info: PluginInfo, *, replace: bool) -> None:
        if not isinstance(info.name, str) or not info.name:
            raise ValueError(f"a plugin name must be a non-empty str, got {info.name!r}")
        if not isinstance(info.target, str) or not _TARGET.match(info.target):
            raise ValueError(
                f"plugin {info.name!r}: target must be 'package.module' or "
                f"'package.module:attribute', got {info.target!r}"
            )
        with self._lock:
            old = self._plugins.get(info.name)
            if old is not None and old.target != info.target and not replace:
                raise ValueError(
                    f"plugin {info.name!r} is already registered as {old.target!r}; "
                    f"cannot register it as {info.target!r} (pass replace=True)"
                )
            if old is not None and old.target != info.target:
                self._loaded.pop(info.name, None)
            self._plugins[info.name] = info


def _import(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        value = getattr(value, part)
    return value
