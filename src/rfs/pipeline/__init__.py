"""Pipelines: ``@task`` registry, DAG planner, I/O managers, executors and a durable run store.

Names load lazily, so ``import rfs.pipeline`` stays cheap (no pydantic or SQLAlchemy until used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "task": "rfs.pipeline.registry",
    "get_registry": "rfs.pipeline.registry",
    "default_registry": "rfs.pipeline.registry",
    "TaskRegistry": "rfs.pipeline.registry",
    "TaskInfo": "rfs.pipeline.registry",
    "TaskKind": "rfs.pipeline.registry",
    "DuplicateTaskError": "rfs.pipeline.registry",
    "Planner": "rfs.pipeline.planner",
    "get_planner": "rfs.pipeline.planner",
    "ExecutionPlan": "rfs.pipeline.planner",
    "DAG": "rfs.pipeline.planner",
    "PlanError": "rfs.pipeline.planner",
    "CycleError": "rfs.pipeline.planner",
    "UnknownDependencyError": "rfs.pipeline.planner",
    "SchemaMismatchError": "rfs.pipeline.planner",
    "IOManager": "rfs.pipeline.io",
    "FilesystemIOManager": "rfs.pipeline.io",
    "FsspecIOManager": "rfs.pipeline.io",
    "MemoryIOManager": "rfs.pipeline.io",
    "JsonSerializer": "rfs.pipeline.io",
    "PickleSerializer": "rfs.pipeline.io",
    "ParquetSerializer": "rfs.pipeline.io",
    "UnsafeNameError": "rfs.pipeline.io",
    "run_pipeline": "rfs.pipeline.runner",
    "current_task": "rfs.pipeline.context",
    "TaskContext": "rfs.pipeline.context",
    "load_pipeline": "rfs.pipeline.loader",
    "new_run_id": "rfs.pipeline.runner",
    "RunResult": "rfs.pipeline.results",
    "RunError": "rfs.pipeline.results",
    "TaskResult": "rfs.pipeline.results",
    "Executor": "rfs.pipeline.executors",
    "LocalExecutor": "rfs.pipeline.executors",
    "MultiprocessExecutor": "rfs.pipeline.executors",
    "CeleryExecutor": "rfs.pipeline.executors",
    "get_executor": "rfs.pipeline.executors",
    "RunStore": "rfs.pipeline.store",
    "SqlRunStore": "rfs.pipeline.store",
    "MemoryRunStore": "rfs.pipeline.store",
    "RunState": "rfs.pipeline.store",
    "TaskState": "rfs.pipeline.store",
}

__all__ = [
    "DAG",
    "CeleryExecutor",
    "CycleError",
    "DuplicateTaskError",
    "ExecutionPlan",
    "Executor",
    "FilesystemIOManager",
    "FsspecIOManager",
    "IOManager",
    "JsonSerializer",
    "LocalExecutor",
    "MemoryIOManager",
    "MemoryRunStore",
    "MultiprocessExecutor",
    "ParquetSerializer",
    "PickleSerializer",
    "PlanError",
    "Planner",
    "RunError",
    "RunResult",
    "RunState",
    "RunStore",
    "SchemaMismatchError",
    "SqlRunStore",
    "TaskContext",
    "TaskInfo",
    "TaskKind",
    "TaskRegistry",
    "TaskResult",
    "TaskState",
    "UnknownDependencyError",
    "UnsafeNameError",
    "current_task",
    "default_registry",
    "get_executor",
    "get_planner",
    "get_registry",
    "load_pipeline",
    "new_run_id",
    "run_pipeline",
    "task",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from rfs.pipeline.context import TaskContext, current_task
    from rfs.pipeline.executors import (
        CeleryExecutor,
        Executor,
        LocalExecutor,
        MultiprocessExecutor,
        get_executor,
    )
    from rfs.pipeline.io import (
        FilesystemIOManager,
        FsspecIOManager,
        IOManager,
        JsonSerializer,
        MemoryIOManager,
        ParquetSerializer,
        PickleSerializer,
        UnsafeNameError,
    )
    from rfs.pipeline.loader import load_pipeline
    from rfs.pipeline.planner import (
        DAG,
        CycleError,
        ExecutionPlan,
        PlanError,
        Planner,
        SchemaMismatchError,
        UnknownDependencyError,
        get_planner,
    )
    from rfs.pipeline.registry import (
        DuplicateTaskError,
        TaskInfo,
        TaskKind,
        TaskRegistry,
        default_registry,
        get_registry,
        task,
    )
    from rfs.pipeline.results import RunError, RunResult, TaskResult
    from rfs.pipeline.runner import new_run_id, run_pipeline
    from rfs.pipeline.store import MemoryRunStore, RunState, RunStore, SqlRunStore, TaskState
