"""Composition root: one registry per profile, built by scanning this package."""

from __future__ import annotations

from examples.hexagonal_orders.settings import Settings
from rfs.di import Registry


def build_registry(profile: str, settings: Settings | None = None) -> Registry:
    """Scan the package under ``profile``, use ``settings`` if given, check the wiring now."""
    registry = Registry(profile=profile)
    registry.scan("examples.hexagonal_orders")
    if settings is not None:  # wins over the scanned Settings component
        registry.register(Settings, instance=settings, primary=True)
    registry.validate()
    return registry
