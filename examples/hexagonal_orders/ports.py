"""Ports: what the use cases need from the outside world."""

from __future__ import annotations

from typing import Protocol

from examples.hexagonal_orders.domain import Order
from rfs.di import Port
from rfs.result import Result


@Port
class OrderRepository(Protocol):
    """Stores and finds orders."""

    async def save(self, order: Order) -> None: ...

    async def get(self, order_id: str) -> Order | None: ...


@Port
class PaymentGateway(Protocol):
    """Charges a customer; a declined charge is a ``Failure``, not an exception."""

    async def charge(self, customer: str, amount_cents: int) -> Result[str, str]: ...
