"""Installed plugins: the ``rfs.plugins`` entry-point group of the installed distributions.

A distribution declares one in its ``pyproject.toml``::

    [project.entry-points."rfs.plugins"]
    cold_start = "rfs_extensions.serverless"

Reading the group scans the installed metadata (no plugin is imported).
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

__all__ = ["ENTRY_POINT_GROUP", "InstalledPlugin", "installed_plugins"]

ENTRY_POINT_GROUP = "rfs.plugins"

InstalledPlugin = tuple[str, str, str | None, str | None]
"""(name, target, distribution, version)."""


def installed_plugins(group: str = ENTRY_POINT_GROUP) -> list[InstalledPlugin]:
    """Entry points of ``group``, sorted by name: (name, target, distribution, version)."""
    found: list[InstalledPlugin] = []
    for point in entry_points(group=group):
        dist = _distribution(point)
        found.append((point.name, point.value, *dist))
    return sorted(found)


def _distribution(point: EntryPoint) -> tuple[str | None, str | None]:
    dist = point.dist
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version
