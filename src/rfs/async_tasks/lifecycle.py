"""Lifecycle events of tasks, published on an :mod:`rfs.events` publisher when one is given.

Topics are ``tasks.<status>`` (``tasks.submitted``, ``tasks.started``, ``tasks.retrying``,
``tasks.completed``, ``tasks.failed``, ``tasks.cancelled``); the event's data holds the task's
``to_dict()`` and its ``correlation_id`` is the task id. A publish that fails is logged, never
raised into the task.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rfs.async_tasks.status import TaskInfo

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "FAILED",
    "RETRYING",
    "STARTED",
    "SUBMITTED",
    "EventPublisher",
    "emit",
]

SUBMITTED = "tasks.submitted"
STARTED = "tasks.started"
RETRYING = "tasks.retrying"
COMPLETED = "tasks.completed"
FAILED = "tasks.failed"
CANCELLED = "tasks.cancelled"

log = logging.getLogger("rfs.async_tasks")


class EventPublisher(Protocol):
    """Anything with ``async publish(topic, event)``, e.g. an :mod:`rfs.events` publisher."""

    async def publish(self, topic: str, event: Any, /) -> Any: ...


async def emit(publisher: EventPublisher, topic: str, info: TaskInfo) -> None:
    """Publish ``topic`` for ``info``; log (do not raise) when the publisher fails."""
    from rfs.events.event import Event

    event = Event(topic, info.to_dict(), correlation_id=info.id)
    try:
        outcome = await publisher.publish(topic, event)
    except Exception:
        log.warning("publishing %s for task %s failed", topic, info.id, exc_info=True)
        return
    if getattr(outcome, "is_failure", None) is not None and outcome.is_failure():
        log.warning("publishing %s for task %s failed: %s", topic, info.id, outcome.error)
