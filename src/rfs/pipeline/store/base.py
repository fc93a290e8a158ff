"""Run store port: runs and task attempts with states, timestamps, durations and errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "AttemptRecord",
    "RunRecord",
    "RunState",
    "RunStore",
    "TaskRecord",
    "TaskState",
]


class RunState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TaskState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in _FINISHED


_FINISHED = frozenset(
    {TaskState.SUCCEEDED, TaskState.FAILED, TaskState.TIMED_OUT, TaskState.SKIPPED}
)


def _span(started_at: float | None, finished_at: float | None) -> float | None:
    """Seconds from start to finish, ``None`` until both are known."""
    return None if started_at is None or finished_at is None else finished_at - started_at


@dataclass(frozen=True, init=False)
class AttemptRecord:
    """One attempt of one task."""

    run_id: str
    task_name: str
    attempt: int
    state: TaskState
    started_at: float
    finished_at: float | None = None
    error: str | None = None

    # Hand-written: fills ``__dict__`` directly, several times faster than the generated
    # frozen ``__init__`` (one ``object.__setattr__`` call per field) on this per-task path.
    def __init__(
        self,
        run_id: str,
        task_name: str,
        attempt: int,
        state: TaskState,
        started_at: float,
        finished_at: float | None = None,
        error: str | None = None,
    ) -> None:
        d = self.__dict__
        d["run_id"] = run_id
        d["task_name"] = task_name
        d["attempt"] = attempt
        d["state"] = state
        d["started_at"] = started_at
        d["finished_at"] = finished_at
        d["error"] = error

    @property
    def duration(self) -> float | None:
        return _span(self.started_at, self.finished_at)


@dataclass(frozen=True, init=False)
class TaskRecord:
    """The latest state of one task in a run."""

    run_id: str
    task_name: str
    state: TaskState = TaskState.PENDING
    attempts: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    stream_count: int | None = None  # items of a stream output; None for a single output

    # Hand-written: fills ``__dict__`` directly, several times faster than the generated
    # frozen ``__init__`` (one ``object.__setattr__`` call per field) on this per-task path.
    def __init__(
        self,
        run_id: str,
        task_name: str,
        state: TaskState = TaskState.PENDING,
        attempts: int = 0,
        started_at: float | None = None,
        finished_at: float | None = None,
        error: str | None = None,
        stream_count: int | None = None,
    ) -> None:
        d = self.__dict__
        d["run_id"] = run_id
        d["task_name"] = task_name
        d["state"] = state
        d["attempts"] = attempts
        d["started_at"] = started_at
        d["finished_at"] = finished_at
        d["error"] = error
        d["stream_count"] = stream_count

    @property
    def duration(self) -> float | None:
        return _span(self.started_at, self.finished_at)


@dataclass(frozen=True)
class RunRecord:
    """A pipeline run."""

    run_id: str
    dag_id: str
    state: RunState
    started_at: float
    finished_at: float | None = None
    error: str | None = None
    #: how the run was selected and started (source, tags, targets, executor), for resume
    spec: dict[str, Any] = field(default_factory=dict)
    tasks: tuple[TaskRecord, ...] = ()

    @property
    def duration(self) -> float | None:
        return _span(self.started_at, self.finished_at)

    def task(self, name: str) -> TaskRecord | None:
        return next((t for t in self.tasks if t.task_name == name), None)


@runtime_checkable
class RunStore(Protocol):
    """Where runs are recorded. Each call is durable when it returns."""

    async def create_run(self, run: RunRecord, task_names: list[str]) -> None:
        """Record a new run with every task pending."""
        ...

    async def update_run(
        self, run_id: str, state: RunState, *, finished_at: float | None, error: str | None
    ) -> None:
        """Set a run's state (``finished_at=None`` when it is running again, on resume)."""
        ...

    async def save_attempt(self, attempt: AttemptRecord, task: TaskRecord) -> None:
        """Insert or update one attempt and the task's latest state, atomically."""
        ...

    async def save_task(self, task: TaskRecord) -> None:
        """Update a task's latest state (e.g. skipped, or reset for resume)."""
        ...

    async def get_run(self, run_id: str) -> RunRecord | None:
        """A run with its tasks, or ``None``."""
        ...

    async def list_runs(self, limit: int = 20) -> list[RunRecord]:
        """The latest runs first (without tasks)."""
        ...

    async def list_attempts(self, run_id: str) -> list[AttemptRecord]:
        """Every attempt of a run, in start order."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
