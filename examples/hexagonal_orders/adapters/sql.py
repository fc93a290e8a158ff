"""SQLAlchemy (async, SQLite via aiosqlite) adapters for the ``prod`` profile."""

from __future__ import annotations

import uuid

from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from examples.hexagonal_orders.domain import Order
from examples.hexagonal_orders.ports import OrderRepository, PaymentGateway
from examples.hexagonal_orders.settings import Settings
from rfs.di import Adapter, Component
from rfs.result import Failure, Result, Success

LIMIT_CENTS = 100_000


class Base(DeclarativeBase):
    pass


class OrderRow(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(Integer)
    payment_ref: Mapped[str] = mapped_column(String(64))


class ChargeRow(Base):
    __tablename__ = "charges"
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(Integer)


@Component(profile="prod")
class Database:
    """The engine: tables created at start, the pool disposed at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.engine: AsyncEngine = create_async_engine(settings.database_url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def on_start(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def on_stop(self) -> None:
        await self.engine.dispose()


@Adapter(port=OrderRepository, profile="prod")
class SqlOrders:
    """Orders in the ``orders`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, order: Order) -> None:
        async with self.db.sessions.begin() as session:
            session.add(OrderRow(**order.__dict__))

    async def get(self, order_id: str) -> Order | None:
        async with self.db.sessions() as session:
            row = await session.scalar(select(OrderRow).where(OrderRow.id == order_id))
        if row is None:
            return None
        return Order(row.id, row.customer, row.amount_cents, row.payment_ref)


@Adapter(port=PaymentGateway, profile="prod")
class LedgerPayments:
    """Records approved charges in the ``charges`` table (stands in for a payment provider)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def charge(self, customer: str, amount_cents: int) -> Result[str, str]:
        if amount_cents > LIMIT_CENTS:
            return Failure(f"card limit exceeded for {customer}")
        ref = f"ch_{uuid.uuid4().hex[:12]}"
        async with self.db.sessions.begin() as session:
            session.add(ChargeRow(ref=ref, customer=customer, amount_cents=amount_cents))
        return Success(ref)
