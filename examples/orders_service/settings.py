"""Configuration, one instance per registry (so two profiles can run side by side)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """The profile's database; ``redis_url`` publishes events on Redis Streams instead of memory."""

    database_url: str
    redis_url: str | None = None
