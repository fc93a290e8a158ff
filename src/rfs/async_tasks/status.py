"""``TaskStatus`` and ``TaskInfo``: where a task is in its life, and its timestamps."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from rfs.monitoring import hook
from rfs.monitoring.context import current_correlation_id
from rfs.result import Success

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable
    from datetime import datetime

    from rfs.result import Result

__all__ = ["FINISHED", "TaskInfo", "TaskStatus"]


class TaskStatus(Enum):
    """The states of seed 000: PENDING → RUNNING → COMPLETED | FAILED | CANCELLED."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED})


class TaskInfo:
    """One task as the manager sees it; read it, do not change it.

    ``created``, ``started`` and ``completed`` are epoch seconds (``*_at`` gives datetimes as
    in seed 000); ``result`` is set once the task is finished; ``attempts`` counts runs.
    """

    __slots__ = (
        "_args",
        "_func",
        "_is_async",
        "_kwargs",
        "_waiters",
        "_worker",
        "attempts",
        "cancel_ignored",
        "cancel_requested",
        "completed",
        "correlation_id",
        "created",
        "id",
        "name",
        "priority",
        "result",
        "retries",
        "started",
        "status",
        "timeout",
    )

    def __init__(
        self,
        task_id: str,
        name: str,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        is_async: bool,
        priority: int,
        timeout: float | None,
        retries: int,
        created: float,
    ) -> None:
        self.id = task_id
        self.name = name
        self.status = TaskStatus.PENDING
        self.priority = priority
        self.timeout = timeout
        self.retries = retries
        self.created = created
        self.started: float | None = None
        self.completed: float | None = None
        self.attempts = 0
        self.result: Result[Any, Any] | None = None
        self.cancel_requested = False
        self.cancel_ignored = False
        self._func: Callable[..., Any] | None = func
        self._args = args
        self._kwargs = kwargs
        self._is_async = is_async
        self._waiters: list[asyncio.Future[None]] = []
        self._worker: asyncio.Task[None] | None = None
        self.correlation_id = current_correlation_id()  # the submitter's, set around each run

    @property
    def created_at(self) -> datetime:
        return _datetime(self.created)

    @property
    def started_at(self) -> datetime | None:
        return None if self.started is None else _datetime(self.started)

    @property
    def completed_at(self) -> datetime | None:
        return None if self.completed is None else _datetime(self.completed)

    @property
    def error(self) -> str | None:
        """The failure's error as text (seed 000's field), ``None`` unless failed or cancelled."""
        result = self.result
        if result is None or isinstance(result, Success):
            return None
        return str(result.error)

    @property
    def wait_time(self) -> float | None:
        """Seconds between submission and the first start."""
        return None if self.started is None else self.started - self.created

    @property
    def run_time(self) -> float | None:
        """Seconds between the first start and the end, retries and backoff included."""
        if self.started is None or self.completed is None:
            return None
        return self.completed - self.started

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (for an HTTP endpoint or ``--json`` output)."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "priority": self.priority,
            "attempts": self.attempts,
            "created": self.created,
            "started": self.started,
            "completed": self.completed,
            "error": self.error,
            "cancel_ignored": self.cancel_ignored,
        }

    def __repr__(self) -> str:
        return f"TaskInfo(id={self.id!r}, name={self.name!r}, status={self.status.name})"


def _datetime(timestamp: float) -> datetime:
    from datetime import datetime  # on use: importing datetime is a cold-start cost

    return datetime.fromtimestamp(timestamp)


def report_outcome(info: TaskInfo, completed: bool, result: Result[Any, Any], now: float) -> None:
    """Report a finished task to the monitor hook as ``async_task.<name>`` (callers check
    ``hook.monitor`` first, so nothing is paid while monitoring is off)."""
    mon = hook.monitor
    if mon is not None and info.started is not None:
        error = None if completed else getattr(result, "error", info.status)
        ms = (now - info.started) * 1000.0
        mon.observe(f"async_task.{info.name}", error is None, ms, error, "async_tasks")
