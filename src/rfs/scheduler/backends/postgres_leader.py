"""``PostgresLeaderLock``: a session-level advisory lock held on one dedicated connection."""

from __future__ import annotations

import contextlib
import hashlib
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from rfs._require import require

require("postgres", "asyncpg", "PostgresLeaderLock")

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def quote_table(name: str) -> str:
    """``name`` (``table`` or ``schema.table``) checked and quoted for SQL text.

    Each part must be a plain identifier (letters, digits, underscores; at most 63 characters,
    not starting with a digit); it is folded to lower case, as PostgreSQL folds an unquoted
    name, so existing tables keep their names.
    """
    parts = name.split(".") if isinstance(name, str) else []
    if not 1 <= len(parts) <= 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise ValueError(
            f"fence_table {name!r} is not a valid table name: use letters, digits and "
            "underscores (optionally 'schema.table'), e.g. 'rfs_scheduler_fence'"
        )
    return ".".join(f'"{part.lower()}"' for part in parts)


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresLeaderLock:
    """``pg_try_advisory_lock`` on a connection kept open while leading.

    PostgreSQL releases the lock as soon as the holder's connection ends, so a killed leader
    frees it at once. ``renew`` checks that the connection is alive. The fencing token comes
    from a counter row in ``fence_table``, bumped on each acquisition.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str = "rfs:scheduler:leader",
        lease: float = 5.0,
        renew_interval: float | None = None,
        fence_table: str = "rfs_scheduler_fence",
    ) -> None:
        self.name = name
        self.key = _lock_key(name)
        self.lease = lease
        self.renew_interval = renew_interval if renew_interval is not None else lease / 3
        self._fence_table_name = quote_table(fence_table)
        self._engine = create_async_engine(url, poolclass=NullPool)
        self._conn: AsyncConnection | None = None
        self.token: int | None = None

    async def _fence(self, conn: AsyncConnection) -> int:
        await conn.execute(
            sa.text(
                f"CREATE TABLE IF NOT EXISTS {self._fence_table_name} "
                "(name TEXT PRIMARY KEY, token BIGINT NOT NULL)"
            )
        )
        token = await conn.scalar(
            sa.text(
                f"INSERT INTO {self._fence_table_name} (name, token) VALUES (:name, 1) "  # nosec B608 # table name from the app's config (values bound)
                f"ON CONFLICT (name) DO UPDATE SET token = {self._fence_table_name}.token + 1 "
                "RETURNING token"
            ),
            {"name": self.name},
        )
        return int(token)

    async def acquire(self) -> int | None:
        conn = await self._engine.connect()
        try:
            got = await conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            await conn.commit()
            if not got:
                await conn.close()
                return None
            token = await self._fence(conn)
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        self._conn, self.token = conn, token
        return token

    async def renew(self) -> bool:
        if self._conn is None:
            return False
        try:
            await self._conn.scalar(sa.text("SELECT 1"))
            await self._conn.commit()
        except Exception:
            await self._drop()
            return False
        return True

    async def _drop(self) -> None:
        conn, self._conn, self.token = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):  # the connection may be broken already
                await conn.close()

    async def release(self) -> None:
        if self._conn is None:
            return
        try:
            await self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            await self._conn.commit()
        except Exception:  # nosec B110 # closing the session releases the lock anyway
            pass
        await self._drop()

    async def close(self) -> None:
        await self.release()
        await self._engine.dispose()

    def __repr__(self) -> str:
        state: Any = self.token
        return f"PostgresLeaderLock({self.name!r}, token={state})"
