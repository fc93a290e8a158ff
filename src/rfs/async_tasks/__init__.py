"""Background tasks in one process: ``AsyncTaskManager`` runs coroutines and sync functions.

Tasks have a status, a typed outcome, a priority, a timeout and retries; finished tasks are
kept up to a bound; ``stats()`` gives queue figures. Names load lazily, so importing the
package costs nothing until ``AsyncTaskManager`` is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AsyncTaskManager": "rfs.async_tasks.manager",
    "ShutdownReport": "rfs.async_tasks.stats",
    "TaskStatus": "rfs.async_tasks.status",
    "TaskInfo": "rfs.async_tasks.status",
    "QueueStats": "rfs.async_tasks.stats",
    "TaskError": "rfs.async_tasks.errors",
    "TaskNotFound": "rfs.async_tasks.errors",
    "WaitTimeout": "rfs.async_tasks.errors",
    "TaskCancelled": "rfs.async_tasks.errors",
    "TaskFailed": "rfs.async_tasks.errors",
}

__all__ = [
    "AsyncTaskManager",
    "QueueStats",
    "ShutdownReport",
    "TaskCancelled",
    "TaskError",
    "TaskFailed",
    "TaskInfo",
    "TaskNotFound",
    "TaskStatus",
    "WaitTimeout",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:
    from rfs.async_tasks.errors import TaskCancelled as TaskCancelled
    from rfs.async_tasks.errors import TaskError as TaskError
    from rfs.async_tasks.errors import TaskFailed as TaskFailed
    from rfs.async_tasks.errors import TaskNotFound as TaskNotFound
    from rfs.async_tasks.errors import WaitTimeout as WaitTimeout
    from rfs.async_tasks.manager import AsyncTaskManager as AsyncTaskManager
    from rfs.async_tasks.stats import QueueStats as QueueStats
    from rfs.async_tasks.stats import ShutdownReport as ShutdownReport
    from rfs.async_tasks.status import TaskInfo as TaskInfo
    from rfs.async_tasks.status import TaskStatus as TaskStatus
