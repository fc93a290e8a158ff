"""Adapters: SQL orders on whichever database the registry binds, payments per profile."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

from sqlalchemy import text

from examples.hexagonal_orders.adapters.memory import LIMIT_CENTS, FakePayments
from examples.orders_service.ports import Order, OrderStore, PaymentGateway
from examples.orders_service.settings import Settings
from rfs.di import Adapter, Registry
from rfs.events import InMemoryBroker
from rfs.events.ports import Broker, Publisher
from rfs.result import Failure, Result, Success
from rfs.tx import Transactional, TransactionManager, current_session

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS orders "
    "(id TEXT PRIMARY KEY, customer TEXT, amount_cents INTEGER, payment_ref TEXT)"
)


@Adapter(port=OrderStore)
class SqlOrders:
    """Orders in the ``orders`` table of the database this registry's manager serves."""

    @Transactional
    async def add(self, order: Order) -> Result[Order, str]:
        await current_session().execute(
            text("INSERT INTO orders VALUES (:id, :customer, :amount_cents, :payment_ref)"),
            vars(order),
        )
        return Success(order)

    @Transactional
    async def remove(self, order: Order) -> Result[None, str]:
        await current_session().execute(text("DELETE FROM orders WHERE id = :id"), {"id": order.id})
        return Success(None)

    @Transactional(read_only=True)
    async def total_cents(self) -> Result[int, str]:
        total = await current_session().scalar(
            text("SELECT coalesce(sum(amount_cents), 0) FROM orders")
        )
        return Success(int(total or 0))


@Adapter(port=PaymentGateway, profile="prod")
class CardPayments:
    """Stands in for a card provider: approves up to the limit, with card-style references."""

    def __init__(self) -> None:
        self._refs = itertools.count(1)

    async def charge(self, customer: str, amount_cents: int) -> Result[str, str]:
        if amount_cents > LIMIT_CENTS:
            return Failure(f"card limit exceeded for {customer}")
        return Success(f"card-{next(self._refs)}")


async def database(settings: Settings) -> AsyncIterator[TransactionManager]:
    """The profile's database: the table made at start, the pool closed at shutdown."""
    manager = TransactionManager(settings.database_url)
    async with manager.engine.begin() as connection:
        await connection.execute(text(SCHEMA))
    yield manager
    await manager.dispose()


async def events(settings: Settings) -> AsyncIterator[Broker]:
    """Redis Streams when configured, else the in-memory broker; closed at shutdown."""
    if settings.redis_url is None:
        broker = InMemoryBroker()
        yield broker
        await broker.close()
        return
    from rfs.events import RedisStreamsBroker

    redis = RedisStreamsBroker(settings.redis_url, stream="orders:events")
    yield redis
    await redis.close()


def publisher(broker: Broker) -> Publisher:
    """Use cases publish through the port; the broker behind it also consumes."""
    return broker


def register_adapters(registry: Registry, settings: Settings) -> None:
    """What scanning would find, plus the factories that depend on ``settings``."""
    registry.register(Settings, instance=settings)
    registry.register(TransactionManager, database)
    registry.register(Broker, events)
    registry.register(Publisher, publisher)
    registry.register(SqlOrders)
    registry.register(CardPayments)
    registry.register(FakePayments)  # the hexagonal example's ``test`` payments, reused
