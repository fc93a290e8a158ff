"""One registered trigger's runtime record, and what ``list()`` and failing calls report."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rfs.scheduler.store import TriggerState
from rfs.scheduler.targets import Target
from rfs.scheduler.triggers import Trigger


@dataclass(frozen=True)
class SchedulerError:
    """An expected failure of a scheduler call: ``code`` is ``not_found``, ``paused`` or
    ``fire_failed``."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def not_found(name: str) -> SchedulerError:
    """The error for a name that is not registered."""
    return SchedulerError("not_found", f"no trigger named {name!r}")


@dataclass(frozen=True)
class TriggerInfo:
    """One registered trigger as ``list()`` shows it."""

    name: str
    kind: str
    description: str
    target: str
    paused: bool
    next_fire_time: datetime | None
    last_fire_time: datetime | None
    fires: int
    failures: int
    last_error: str | None
    #: how many times fire times were found later than the grace time (this process)
    misfires: int = 0
    #: when the latest misfire was found
    last_misfire_time: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "target": self.target,
            "paused": self.paused,
            "next_fire_time": _iso(self.next_fire_time),
            "last_fire_time": _iso(self.last_fire_time),
            "fires": self.fires,
            "failures": self.failures,
            "last_error": self.last_error,
            "misfires": self.misfires,
            "last_misfire_time": _iso(self.last_misfire_time),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class Entry:
    """A registered trigger: its target, cursor (last handled time), counters and version.

    ``version`` grows on every reschedule, so queue items for an older schedule are ignored.
    """

    __slots__ = (
        "consumer_task",
        "cursor",
        "failures",
        "fires",
        "fresh",
        "last_error",
        "last_fired",
        "last_misfire",
        "misfires",
        "name",
        "next_fire",
        "paused",
        "target",
        "topic",
        "trigger",
        "version",
    )

    def __init__(self, name: str, trigger: Trigger, target: Target, topic: str | None) -> None:
        self.name = name
        self.trigger = trigger
        self.target = target
        self.topic = topic
        self.paused = False
        self.cursor: datetime | None = None
        self.next_fire: datetime | None = None
        self.version = 0
        self.fires = 0
        self.fresh = True  # no stored state yet: counts from when firing starts
        self.failures = 0
        self.last_error: str | None = None
        self.last_fired: datetime | None = None
        self.misfires = 0
        self.last_misfire: datetime | None = None
        self.consumer_task: asyncio.Task[None] | None = None

    def state(self) -> TriggerState:
        """What the store keeps of this trigger."""
        return TriggerState(self.name, self.cursor, self.next_fire, self.paused)

    def info(self) -> TriggerInfo:
        """This trigger as ``list()`` shows it."""
        return TriggerInfo(
            name=self.name,
            kind=self.trigger.kind,
            description=self.trigger.describe(),
            target=repr(self.target),
            paused=self.paused,
            next_fire_time=None if self.paused else self.next_fire,
            last_fire_time=self.last_fired,
            fires=self.fires,
            failures=self.failures,
            last_error=self.last_error,
            misfires=self.misfires,
            last_misfire_time=self.last_misfire,
        )
