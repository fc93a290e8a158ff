"""Composition root: one registry per profile, each with its own settings and database."""

from __future__ import annotations

from examples.orders_service.adapters import register_adapters
from examples.orders_service.settings import Settings
from examples.orders_service.use_cases import PlaceOrder
from rfs.di import Registry


def build_registry(profile: str, settings: Settings) -> Registry:
    """The profile's adapters and the use case, wiring checked now (not at the first call)."""
    registry = Registry(profile=profile)
    register_adapters(registry, settings)
    registry.register(PlaceOrder)
    registry.validate()
    return registry
