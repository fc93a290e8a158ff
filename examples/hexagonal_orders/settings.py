"""Configuration: a component reading the environment, replaceable by an explicit instance."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from rfs.di import Component


def _database_url() -> str:
    return os.environ.get("ORDERS_DATABASE_URL", "sqlite+aiosqlite:///:memory:")


@Component
@dataclass(frozen=True)
class Settings:
    """Where the prod profile keeps its database (``ORDERS_DATABASE_URL``)."""

    database_url: str = field(default_factory=_database_url)
