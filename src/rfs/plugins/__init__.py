"""Plugins: named modules loaded on first use, registered by hand or found as entry points.

``PluginRegistry().register("saga", "rfs_extensions.saga")`` records a name; ``load("saga")``
imports it the first time. Installed distributions declare plugins in the ``rfs.plugins``
entry-point group; ``PluginRegistry.discover()`` and ``installed_plugins()`` find them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "PluginRegistry": "rfs.plugins.registry",
    "PluginInfo": "rfs.plugins.registry",
    "ENTRY_POINT_GROUP": "rfs.plugins.discovery",
    "installed_plugins": "rfs.plugins.discovery",
    "PluginError": "rfs.plugins.errors",
    "PluginNotFound": "rfs.plugins.errors",
    "PluginImportError": "rfs.plugins.errors",
}

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginError",
    "PluginImportError",
    "PluginInfo",
    "PluginNotFound",
    "PluginRegistry",
    "installed_plugins",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:
    from rfs.plugins.discovery import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
    from rfs.plugins.discovery import installed_plugins as installed_plugins
    from rfs.plugins.errors import PluginError as PluginError
    from rfs.plugins.errors import PluginImportError as PluginImportError
    from rfs.plugins.errors import PluginNotFound as PluginNotFound
    from rfs.plugins.registry import PluginInfo as PluginInfo
    from rfs.plugins.registry import PluginRegistry as PluginRegistry
