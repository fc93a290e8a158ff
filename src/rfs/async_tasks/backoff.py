"""The delay before a task's next attempt: rfs's one backoff formula (see ``rfs._backoff``)."""

from __future__ import annotations

from rfs._backoff import retry_delay

__all__ = ["retry_delay"]
