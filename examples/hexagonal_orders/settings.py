"""Configuration, registered as an instance by whoever builds the registry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Where the prod profile keeps its database."""

    database_url: str = "sqlite+aiosqlite:///:memory:"
