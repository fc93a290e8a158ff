"""Use cases: the application logic, written against ports only."""

from __future__ import annotations

import uuid

from examples.hexagonal_orders.domain import Order
from examples.hexagonal_orders.ports import OrderRepository, PaymentGateway
from rfs.di import UseCase
from rfs.result import Failure, Result, Success


@UseCase
class PlaceOrder:
    """Charge the customer, then store the order."""

    def __init__(self, orders: OrderRepository, payments: PaymentGateway) -> None:
        self.orders = orders
        self.payments = payments

    async def execute(self, customer: str, amount_cents: int) -> Result[Order, str]:
        if amount_cents <= 0:
            return Failure("amount must be positive")
        charged = await self.payments.charge(customer, amount_cents)
        if isinstance(charged, Failure):
            return Failure(f"payment declined: {charged.error}")
        order = Order(uuid.uuid4().hex[:8], customer, amount_cents, charged.value)
        await self.orders.save(order)
        return Success(order)


@UseCase
class GetOrder:
    """Find an order by id."""

    def __init__(self, orders: OrderRepository) -> None:
        self.orders = orders

    async def execute(self, order_id: str) -> Result[Order, str]:
        order = await self.orders.get(order_id)
        return Success(order) if order is not None else Failure(f"no order {order_id}")
