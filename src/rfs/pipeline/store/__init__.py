"""Run stores: where runs, task states and attempts are recorded (SQLAlchemy or memory)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rfs.pipeline.store.base import (
    AttemptRecord,
    RunRecord,
    RunState,
    RunStore,
    TaskRecord,
    TaskState,
)
from rfs.pipeline.store.memory import MemoryRunStore

__all__ = [
    "AttemptRecord",
    "MemoryRunStore",
    "RunRecord",
    "RunState",
    "RunStore",
    "SqlRunStore",
    "TaskRecord",
    "TaskState",
    "default_run_store_url",
]

if TYPE_CHECKING:
    from rfs.pipeline.store.sql import SqlRunStore, default_run_store_url


def __getattr__(name: str) -> Any:
    if name in ("SqlRunStore", "default_run_store_url"):
        from rfs.pipeline.store import sql

        return getattr(sql, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
