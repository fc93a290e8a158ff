"""Seed 001's import path (``rfs.async_tasks.task_manager``) for the task manager."""

from __future__ import annotations

from rfs.async_tasks.manager import AsyncTaskManager, ShutdownReport
from rfs.async_tasks.status import TaskInfo, TaskStatus

__all__ = ["AsyncTaskManager", "ShutdownReport", "TaskInfo", "TaskStatus"]
