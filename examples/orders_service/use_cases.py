"""Use cases: placing an order is a saga; each step returns a Result, each has its undo."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from examples.orders_service.ports import Order, OrderStore, PaymentGateway
from rfs.di import UseCase
from rfs.events import Event
from rfs.events.ports import Publisher
from rfs.result import Failure, Result, Success, is_failure
from rfs.saga import MemorySagaLog, Saga, SagaError


@dataclass
class Placement:
    """The saga's context: what was asked, and what each step produced."""

    customer: str
    amount_cents: int
    payment_ref: str | None = None
    order: Order | None = None


@UseCase
class PlaceOrder:
    """Charge, store, announce; a failing step undoes the earlier ones in reverse."""

    def __init__(self, orders: OrderStore, payments: PaymentGateway, events: Publisher) -> None:
        self.orders = orders
        self.payments = payments
        self.events = events
        self.refunds: list[str] = []
        self.saga = Saga("place_order", log=MemorySagaLog())
        self.saga.add_step("charge", self.charge, compensate=self.refund)
        self.saga.add_step("store", self.store, compensate=self.unstore)
        self.saga.add_step("announce", self.announce)

    async def charge(self, placement: Placement) -> Result[Placement, str]:
        charged = await self.payments.charge(placement.customer, placement.amount_cents)
        if is_failure(charged):
            return Failure(f"payment declined: {charged.error}")
        placement.payment_ref = charged.value
        return Success(placement)

    async def refund(self, placement: Placement) -> Result[None, str]:
        if placement.payment_ref is not None:
            self.refunds.append(placement.payment_ref)  # a real gateway would refund here
        return Success(None)

    async def store(self, placement: Placement) -> Result[Placement, str]:
        ref = placement.payment_ref or ""
        order = Order(uuid.uuid4().hex[:8], placement.customer, placement.amount_cents, ref)
        stored = await self.orders.add(order)
        if is_failure(stored):
            return Failure(stored.error)
        placement.order = stored.value
        return Success(placement)

    async def unstore(self, placement: Placement) -> Result[None, str]:
        return await self.orders.remove(placement.order) if placement.order else Success(None)

    async def announce(self, placement: Placement) -> Result[None, str]:
        order = placement.order
        assert order is not None, "announce runs after store"
        data = {"id": order.id, "customer": order.customer, "amount_cents": order.amount_cents}
        published = await self.events.publish("orders.placed", Event("orders.placed", data))
        return Failure(str(published.error)) if is_failure(published) else Success(None)

    async def execute(self, customer: str, amount_cents: int) -> Result[Order, SagaError | str]:
        if amount_cents <= 0:
            return Failure("amount must be positive")
        outcome = await self.saga.execute(Placement(customer, amount_cents))
        if is_failure(outcome):
            return Failure(outcome.error)
        placement = outcome.value
        assert isinstance(placement, Placement) and placement.order is not None
        return Success(placement.order)
