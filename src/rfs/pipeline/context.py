"""The running task's context: run id, task name and attempt number, from inside a task."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["TaskContext", "current_task"]


@dataclass(frozen=True, init=False)
class TaskContext:
    """Which run, task and attempt the current code belongs to."""

    run_id: str
    task_name: str
    attempt: int  # 1 for the first try
    max_retries: int

    # Hand-written: fills ``__dict__`` directly, several times faster than the generated
    # frozen ``__init__`` (one ``object.__setattr__`` call per field) on this per-task path.
    def __init__(self, run_id: str, task_name: str, attempt: int, max_retries: int) -> None:
        d = self.__dict__
        d["run_id"] = run_id
        d["task_name"] = task_name
        d["attempt"] = attempt
        d["max_retries"] = max_retries

    @property
    def is_retry(self) -> bool:
        return self.attempt > 1


_current: ContextVar[TaskContext | None] = ContextVar("rfs_task_context", default=None)


def current_task() -> TaskContext:
    """The context of the task attempt being executed; ``RuntimeError`` outside a task."""
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("current_task() is only available while a pipeline task runs")
    return ctx
