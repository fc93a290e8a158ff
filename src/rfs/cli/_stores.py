"""Read-only access for ``runs list|show`` and ``saga list|show``: check that the store exists
before opening it, so reading never creates a database file or tables."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from rfs.cli._common import UserError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["require_tables", "sqlite_file"]


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (``None`` for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1].split("?", 1)[0] if ":///" in url else ""
    return path if path and path != ":memory:" else None


async def require_tables(
    engine: AsyncEngine, tables: list[str], *, what: str, fix: str, schema: str | None = None
) -> None:
    """Raise :class:`UserError` ``no {what} at URL`` unless every table exists; never creates
    anything (a missing SQLite file is not opened at all)."""
    from sqlalchemy import inspect

    shown = engine.url.render_as_string(hide_password=True)
    path = sqlite_file(shown)
    if path is not None and not os.path.isfile(path):  # noqa: ASYNC240 - one stat, no I/O wait
        raise UserError(f"no {what} at {shown} (the file does not exist)", fix)
    if engine.url.get_backend_name() == "sqlite" and path is None:
        return  # in-memory: nothing to create, nothing to find
    async with engine.connect() as conn:
        present = await conn.run_sync(
            lambda sync: [inspect(sync).has_table(t, schema=schema) for t in tables]
        )
    if not all(present):
        missing = ", ".join(t for t, ok in zip(tables, present, strict=True) if not ok)
        raise UserError(f"no {what} at {shown} (no table {missing})", fix)
