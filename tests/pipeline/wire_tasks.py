"""Module-level functions for the Celery message tests (trusted or not by the decoder)."""

from __future__ import annotations

import os

from rfs.pipeline import TaskRegistry

registry = TaskRegistry()


def add(a: int, b: int) -> int:
    """Sum two constant parameters."""
    return a + b


@registry.task
def registered() -> int:
    """A registered task."""
    return 1


def not_a_task() -> None:
    """Defined elsewhere in spirit: the tests trust only other modules."""


__all__ = ["add", "not_a_task", "os", "registered", "registry"]
