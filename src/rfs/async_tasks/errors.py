"""Typed outcomes of the task manager, carried in ``Failure``: each says what happened.

A task's own ``Failure`` comes back unchanged; these are the manager's outcomes, so
``isinstance(result.error, TaskError)`` tells them apart from the task's own errors.
"""

from __future__ import annotations

__all__ = ["TaskCancelled", "TaskError", "TaskFailed", "TaskNotFound", "WaitTimeout"]


class TaskError(Exception):
    """Base of the manager's outcomes; ``task_id`` names the task."""

    def __init__(self, task_id: str, message: str) -> None:
        super().__init__(message)
        self.task_id = task_id

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), self.task_id))


class TaskNotFound(TaskError):
    """No task with this id: never submitted, or evicted by the manager's retention."""

    def __init__(self, task_id: str) -> None:
        super().__init__(task_id, f"no task {task_id!r} (unknown id, or evicted by retention)")


class WaitTimeout(TaskError):
    """``get_result`` gave up waiting after ``timeout`` seconds; the task goes on."""

    def __init__(self, task_id: str, timeout: float) -> None:
        super().__init__(task_id, f"task {task_id!r} not finished after waiting {timeout:g} s")
        self.timeout = timeout


class TaskCancelled(TaskError):
    """The task was cancelled: before it started, or while running.

    ``ignored`` is true when the task did not stop within the grace period (a coroutine that
    swallows ``CancelledError``, or a sync function whose thread cannot be interrupted); its
    outcome is discarded and it no longer holds a worker slot.
    """

    def __init__(self, task_id: str, *, started: bool, ignored: bool = False) -> None:
        if not started:
            message = f"task {task_id!r} cancelled before it started"
        elif ignored:
            message = f"task {task_id!r} cancelled but still running (it ignores cancellation)"
        else:
            message = f"task {task_id!r} cancelled while running"
        super().__init__(task_id, message)
        self.started = started
        self.ignored = ignored


class TaskFailed(TaskError):
    """The task raised (``error`` is the exception) or exceeded its timeout (a ``TimeoutError``).

    ``attempts`` counts the runs made, retries included.
    """

    def __init__(self, task_id: str, error: BaseException, attempts: int) -> None:
        kind = type(error).__name__
        super().__init__(
            task_id, f"task {task_id!r} failed after {attempts} attempt(s): {kind}: {error}"
        )
        self.error = error
        self.attempts = attempts

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TaskFailed)
            and (other.task_id, other.attempts) == (self.task_id, self.attempts)
            and other.error is self.error
        )

    def __hash__(self) -> int:
        return hash((TaskFailed, self.task_id, self.attempts))
