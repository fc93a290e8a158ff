"""Ports: the order store here; payments and their domain come from ``hexagonal_orders``."""

from __future__ import annotations

from typing import Protocol

from examples.hexagonal_orders.domain import Order
from examples.hexagonal_orders.ports import PaymentGateway
from rfs.di import Port
from rfs.result import Result

__all__ = ["Order", "OrderStore", "PaymentGateway"]


@Port
class OrderStore(Protocol):
    """Orders in the profile's database; every call is one transaction."""

    async def add(self, order: Order) -> Result[Order, str]: ...

    async def remove(self, order: Order) -> Result[None, str]: ...

    async def total_cents(self) -> Result[int, str]: ...
