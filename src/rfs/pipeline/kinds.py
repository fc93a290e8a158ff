"""The kinds of task functions and the ways a parameter receives an upstream output.

Leaf module (no imports from the rest of the pipeline), shared by the registry, the planner,
the schema checks and the executors.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from enum import StrEnum
from typing import Any

__all__ = ["ASYNC_KINDS", "STREAM_KINDS", "InputMode", "TaskKind", "kind_of"]


class TaskKind(StrEnum):
    """How a task function produces its output."""

    SYNC = "sync"
    ASYNC = "async"
    GENERATOR = "generator"
    ASYNC_GENERATOR = "async_generator"


#: kinds that run on an event loop (coroutine functions and async generators)
ASYNC_KINDS = (TaskKind.ASYNC, TaskKind.ASYNC_GENERATOR)
#: kinds whose output is a stream (generators and async generators)
STREAM_KINDS = (TaskKind.GENERATOR, TaskKind.ASYNC_GENERATOR)


class InputMode(StrEnum):
    """How a downstream parameter receives an upstream output."""

    VALUE = "value"  # the single output (or, for a stream, a lazy iterator: see ITER)
    ITER = "iter"  # a stream as a lazy sync iterator, items loaded one at a time
    AITER = "aiter"  # a stream as a lazy async iterator
    LIST = "list"  # a stream materialised as a list


def kind_of(func: Callable[..., Any]) -> TaskKind:
    """The :class:`TaskKind` of a function."""
    if inspect.isasyncgenfunction(func):
        return TaskKind.ASYNC_GENERATOR
    if inspect.isgeneratorfunction(func):
        return TaskKind.GENERATOR
    if inspect.iscoroutinefunction(func):
        return TaskKind.ASYNC
    return TaskKind.SYNC
