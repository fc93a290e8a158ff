"""In-memory adapters for the ``test`` profile."""

from __future__ import annotations

import itertools

from examples.hexagonal_orders.domain import Order
from examples.hexagonal_orders.ports import OrderRepository, PaymentGateway
from rfs.di import Adapter
from rfs.result import Failure, Result, Success

LIMIT_CENTS = 100_000


@Adapter(port=OrderRepository, profile="test")
class InMemoryOrders:
    """Orders in a dict."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}

    async def save(self, order: Order) -> None:
        self._orders[order.id] = order

    async def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)


@Adapter(port=PaymentGateway, profile="test")
class FakePayments:
    """Approves charges up to 1,000.00 and declines the rest."""

    def __init__(self) -> None:
        self._refs = itertools.count(1)

    async def charge(self, customer: str, amount_cents: int) -> Result[str, str]:
        if amount_cents > LIMIT_CENTS:
            return Failure(f"card limit exceeded for {customer}")
        return Success(f"fake-{next(self._refs)}")
