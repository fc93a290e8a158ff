"""@Transactional on the embedded SQLite default: commit, Failure rollback, savepoints, timeout."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from sqlalchemy import text

import rfs.tx
from rfs import Failure, Result, Success
from rfs.tx import Propagation, Transactional, TransactionError, current_session


async def balance(name: str) -> int:
    query = text("SELECT balance FROM accounts WHERE name = :name")
    return int((await current_session().execute(query, {"name": name})).scalar_one())


async def add(name: str, amount: int) -> None:
    update = text("UPDATE accounts SET balance = balance + :amount WHERE name = :name")
    await current_session().execute(update, {"name": name, "amount": amount})


@Transactional
async def transfer(source: str, target: str, amount: int) -> Result[int, str]:
    await add(source, -amount)
    await add(target, amount)
    if await balance(source) < 0:
        return Failure(f"{source} cannot cover {amount}")  # both updates roll back
    return Success(await balance(source))


@Transactional(propagation=Propagation.NESTED)
async def bonus(name: str) -> Result[None, str]:
    await add(name, 1_000)
    return Failure("bonus budget exhausted")  # rolls back the savepoint only


@Transactional
async def pay_with_bonus(name: str) -> Result[int, str]:
    await add(name, 5)
    await bonus(name)
    return Success(await balance(name))


@Transactional(timeout=0.1)
async def stuck(name: str) -> Result[int, TransactionError]:
    await add(name, 1)
    await asyncio.sleep(1)  # stands in for a slow statement
    return Success(0)


@Transactional(read_only=True)
async def balances() -> dict[str, int]:
    rows = await current_session().execute(text("SELECT name, balance FROM accounts"))
    return {name: amount for name, amount in rows}


async def run(directory: Path) -> dict[str, int]:
    db = rfs.tx.configure(f"sqlite+aiosqlite:///{directory / 'bank.db'}")
    assert db is not None
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE accounts (name TEXT PRIMARY KEY, balance INT)"))
            await conn.execute(text("INSERT INTO accounts VALUES ('ann', 100), ('bob', 0)"))
        print("transfer 30    ->", await transfer("ann", "bob", 30))
        print("transfer 500   ->", await transfer("ann", "bob", 500))
        print("pay with bonus ->", await pay_with_bonus("bob"))
        print("stuck          ->", (await stuck("ann")).map_error(lambda e: type(e).__name__))
        final = await balances()
        print("balances       ->", final)
        return final
    finally:
        rfs.tx.configure(None)
        await db.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
