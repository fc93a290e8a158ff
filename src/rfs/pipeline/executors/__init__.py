"""Executors: run one task attempt in-process, in worker processes or on Celery workers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rfs.pipeline.executors.attempt import AttemptOutcome, AttemptStatus, TaskAttempt
from rfs.pipeline.executors.base import Executor

__all__ = [
    "AttemptOutcome",
    "AttemptStatus",
    "CeleryExecutor",
    "Executor",
    "LocalExecutor",
    "MultiprocessExecutor",
    "TaskAttempt",
    "get_executor",
]

_LAZY = {
    "LocalExecutor": "rfs.pipeline.executors.local",
    "MultiprocessExecutor": "rfs.pipeline.executors.multiprocess",
    "CeleryExecutor": "rfs.pipeline.executors.celery",
}

#: names accepted by ``get_executor`` / ``rfs run --executor``
EXECUTOR_NAMES = {"local": "LocalExecutor", "process": "MultiprocessExecutor"}
EXECUTOR_NAMES["celery"] = "CeleryExecutor"

if TYPE_CHECKING:
    from rfs.pipeline.executors.celery import CeleryExecutor
    from rfs.pipeline.executors.local import LocalExecutor
    from rfs.pipeline.executors.multiprocess import MultiprocessExecutor


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def get_executor(name: str, **options: Any) -> Executor:
    """An executor by its CLI name: ``local``, ``process`` or ``celery``."""
    try:
        cls = __getattr__(EXECUTOR_NAMES[name])
    except KeyError:
        raise ValueError(
            f"unknown executor {name!r}; choose one of {', '.join(EXECUTOR_NAMES)}"
        ) from None
    executor: Executor = cls(**options)
    return executor
