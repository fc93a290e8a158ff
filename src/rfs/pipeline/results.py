"""What a run returns: ``RunResult`` on success, ``RunError`` (with the partial result) if not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rfs.pipeline.executors.attempt import OUTPUT_ID, stream_item_id
from rfs.pipeline.io.base import IOManager
from rfs.pipeline.store.base import RunState, TaskState

__all__ = ["RunError", "RunResult", "TaskResult"]


@dataclass(frozen=True, init=False)
class TaskResult:
    """How one task of a run ended."""

    name: str
    state: TaskState
    attempts: int = 0
    duration: float | None = None
    error: str | None = None
    stream_count: int | None = None
    #: False when the task finished in an earlier invocation (reused on resume)
    executed: bool = True

    # Hand-written: fills ``__dict__`` directly, several times faster than the generated
    # frozen ``__init__`` (one ``object.__setattr__`` call per field) on this per-task path.
    def __init__(
        self,
        name: str,
        state: TaskState,
        attempts: int = 0,
        duration: float | None = None,
        error: str | None = None,
        stream_count: int | None = None,
        executed: bool = True,
    ) -> None:
        d = self.__dict__
        d["name"] = name
        d["state"] = state
        d["attempts"] = attempts
        d["duration"] = duration
        d["error"] = error
        d["stream_count"] = stream_count
        d["executed"] = executed


@dataclass(frozen=True)
class RunResult:
    """A finished run: per-task results, and access to outputs through the I/O manager."""

    run_id: str
    dag_id: str
    state: RunState
    tasks: dict[str, TaskResult]
    started_at: float
    finished_at: float
    io_manager: IOManager = field(repr=False, compare=False)

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    def names(self, state: TaskState) -> list[str]:
        """Tasks that ended in ``state``, in plan order."""
        return [name for name, t in self.tasks.items() if t.state is state]

    @property
    def succeeded(self) -> list[str]:
        return self.names(TaskState.SUCCEEDED)

    @property
    def failed(self) -> list[str]:
        return self.names(TaskState.FAILED) + self.names(TaskState.TIMED_OUT)

    @property
    def skipped(self) -> list[str]:
        return self.names(TaskState.SKIPPED)

    @property
    def executed(self) -> list[str]:
        """Tasks that ran (at least one attempt) in this invocation."""
        return [name for name, t in self.tasks.items() if t.executed and t.attempts]

    def output(self, task_name: str) -> Any:
        """A task's output (a stream is returned as a list; see :meth:`iter_output`)."""
        result = self.tasks[task_name]
        if result.stream_count is not None:
            return list(self.iter_output(task_name))
        return self.io_manager.load(self.run_id, task_name, OUTPUT_ID)

    def iter_output(self, task_name: str) -> Iterator[Any]:
        """A stream output item by item (one item in memory at a time)."""
        count = self.tasks[task_name].stream_count
        if count is None:
            yield self.output(task_name)
            return
        for i in range(count):
            yield self.io_manager.load(self.run_id, task_name, stream_item_id(i))


@dataclass(frozen=True)
class RunError:
    """Why a run did not succeed. ``result`` holds the per-task picture when tasks ran."""

    run_id: str
    message: str
    failed_tasks: dict[str, str] = field(default_factory=dict)  # task -> error text
    result: RunResult | None = None

    def __str__(self) -> str:
        if not self.failed_tasks:
            return self.message
        lines = [self.message, *(f"  {name}: {err}" for name, err in self.failed_tasks.items())]
        return "\n".join(lines)
