"""Pipeline lifecycle events: topics, payloads, and publishing through any ``Publisher``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from rfs.events.ports import Publisher

__all__ = [
    "RUN_FINISHED",
    "RUN_STARTED",
    "TASK_FAILED",
    "TASK_RETRYING",
    "TASK_SKIPPED",
    "TASK_STARTED",
    "TASK_SUCCEEDED",
    "EventPublisher",
    "PipelineEvent",
    "make_event",
]

RUN_STARTED = "pipeline.run.started"
RUN_FINISHED = "pipeline.run.finished"
TASK_STARTED = "pipeline.task.started"
TASK_SUCCEEDED = "pipeline.task.succeeded"
TASK_FAILED = "pipeline.task.failed"
TASK_SKIPPED = "pipeline.task.skipped"
TASK_RETRYING = "pipeline.task.retrying"


EventPublisher = Publisher
"""The old name of :class:`rfs.events.ports.Publisher` here (the one publisher port)."""


@dataclass(frozen=True)
class PipelineEvent:
    """Fallback event used when :mod:`rfs.events` is not available."""

    topic: str
    data: dict[str, Any]
    timestamp: float = field(default_factory=time.time)


def make_event(topic: str, data: dict[str, Any]) -> Any:
    """An :class:`rfs.events.Event` with ``data`` (or a :class:`PipelineEvent`), under the
    run's correlation id (the run id is in ``data``)."""
    try:
        from rfs.events import Event
    except ImportError:
        return PipelineEvent(topic, data)
    return Event(topic, data)
