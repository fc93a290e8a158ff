"""Triggers: when something fires (a schedule, an event, an HTTP call, a manual call)."""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, ClassVar, Protocol

from rfs.events.ports import Consumer as Consumer  # the one port; old path kept
from rfs.scheduler.cron import CronExpression
from rfs.scheduler.misfire import FirePlan, MisfirePolicy, parse_policy, plan_fires
from rfs.scheduler.targets import FireContext

EventFactory = Callable[..., Any]
"""Any factory; each trigger kind documents what it passes."""
ScheduleFactory = Callable[[], Any] | Callable[[FireContext], Any]
"""Scheduled triggers call ``factory()`` or ``factory(context)``."""
SourceEventFactory = Callable[[Any], Any]
"""Event triggers call ``factory(source_event)``."""
PayloadFactory = Callable[[], Any] | Callable[[Any], Any]
"""API and manual triggers call ``factory()`` or ``factory(payload)``."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _seconds(value: timedelta | float | None, what: str) -> timedelta | None:
    if value is None:
        return None
    result = value if isinstance(value, timedelta) else timedelta(seconds=float(value))
    if result < timedelta(0):
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return result


def takes_argument(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` accepts one positional argument (factories may take the context or not)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    return bool(positional)


class Trigger:
    """Base of all triggers: an optional event factory and a description.

    The scheduler asks a trigger what it does instead of checking its type: ``next_fire_time``
    (None: no schedule), ``plan`` (which late times fire), ``wake_time`` (jitter), ``source``
    (the events it fires on) and ``keeps_state`` (whether the store keeps its fire times).
    """

    kind: ClassVar[str] = "trigger"
    keeps_state: ClassVar[bool] = False
    """Whether the state store keeps this trigger's cursor and pause flag across restarts."""
    misfire_policy: MisfirePolicy = MisfirePolicy.RUN_ONCE
    misfire_grace_time: timedelta = timedelta(0)

    def __init__(self, event_factory: EventFactory | None = None, description: str = "") -> None:
        if event_factory is not None and not callable(event_factory):
            raise TypeError(f"event_factory must be callable, got {event_factory!r}")
        self.event_factory = event_factory
        self.description = description
        self.factory_takes_argument = (
            takes_argument(event_factory) if event_factory is not None else False
        )

    def describe(self) -> str:
        """A short human description (shown by ``list()`` and ``rfs scheduler list``)."""
        return self.description or self.kind

    def next_fire_time(self, after: datetime) -> datetime | None:
        """The first fire time strictly after ``after``; None: no (more) scheduled fires."""
        return None

    def plan(self, cursor: datetime, now: datetime, batch: int, first: datetime | None) -> FirePlan:
        """The scheduled times in ``(cursor, now]`` that fire now (none without a schedule)."""
        return FirePlan([], cursor, None)

    def wake_time(self, fire_time: datetime) -> datetime:
        """When the scheduler wakes for ``fire_time`` (later with jitter)."""
        return fire_time

    def source(self) -> EventSource | None:
        """The events this trigger fires on, or None when it does not listen to events."""
        return None


class EventSource(Protocol):
    """What an event-driven trigger reads: ``open()`` subscribes anew (after a failure too)."""

    source_topic: str

    def open(self) -> Any:
        """A new subscription: an async iterator of source events (closed with ``close()``)."""
        ...


class ScheduleTrigger(Trigger):
    """A trigger that fires at computed times, with a misfire policy, grace time and jitter."""

    kind: ClassVar[str] = "schedule"
    keeps_state: ClassVar[bool] = True

    def __init__(
        self,
        event_factory: ScheduleFactory | None = None,
        *,
        misfire_policy: MisfirePolicy | str = MisfirePolicy.RUN_ONCE,
        misfire_grace_time: timedelta | float = 30.0,
        jitter: timedelta | float | None = None,
        description: str = "",
    ) -> None:
        super().__init__(event_factory, description)
        self.misfire_policy = parse_policy(misfire_policy)
        grace = _seconds(misfire_grace_time, "misfire_grace_time")
        self.misfire_grace_time = grace if grace is not None else timedelta(0)
        self.jitter = _seconds(jitter, "jitter")

    def next_fire_time(self, after: datetime) -> datetime | None:
        """The first fire time strictly after ``after`` (aware UTC), or None when finished."""
        raise NotImplementedError

    def plan(self, cursor: datetime, now: datetime, batch: int, first: datetime | None) -> FirePlan:
        """Apply the misfire policy to the times in ``(cursor, now]`` (see ``plan_fires``)."""
        return plan_fires(
            self.next_fire_time,
            cursor,
            now,
            self.misfire_policy,
            self.misfire_grace_time,
            batch,
            first=first,
        )

    def wake_time(self, fire_time: datetime) -> datetime:
        if not self.jitter:
            return fire_time
        return fire_time + timedelta(seconds=random.uniform(0, self.jitter.total_seconds()))  # nosec B311 # schedule jitter (not for security)


class CronTrigger(ScheduleTrigger):
    """Fires on a crontab schedule in a time zone (DST-correct; see ``rfs.scheduler.cron``).

    ``R`` in a field stands for one value picked from a stable hash of ``hash_key`` (default:
    the expression), so every replica and restart agrees; give each trigger its own key (its
    name, say) to spread triggers that share an expression.
    """

    kind: ClassVar[str] = "cron"

    def __init__(
        self,
        cron_expression: str,
        event_factory: ScheduleFactory | None = None,
        *,
        timezone: str | tzinfo | None = None,
        misfire_policy: MisfirePolicy | str = MisfirePolicy.RUN_ONCE,
        misfire_grace_time: timedelta | float = 30.0,
        jitter: timedelta | float | None = None,
        description: str = "",
        hash_key: str | None = None,
    ) -> None:
        super().__init__(
            event_factory,
            misfire_policy=misfire_policy,
            misfire_grace_time=misfire_grace_time,
            jitter=jitter,
            description=description,
        )
        self.cron = CronExpression(cron_expression, timezone, hash_key=hash_key)
        self.cron_expression = self.cron.expression
        self.timezone = self.cron.timezone

    def next_fire_time(self, after: datetime) -> datetime | None:
        return self.cron.next_after(after)

    def describe(self) -> str:
        return self.description or f"cron {self.cron_expression!r} ({self.timezone})"


class IntervalTrigger(ScheduleTrigger):
    """Fires every ``interval``, on multiples of it counted from ``start``.

    ``start`` defaults to the Unix epoch, so every instance and every restart computes the same
    fire times (a 1-second interval fires on whole seconds, a 1-hour one on the hour, UTC).
    """

    kind: ClassVar[str] = "interval"

    def __init__(
        self,
        interval: timedelta | float | None = None,
        event_factory: ScheduleFactory | None = None,
        *,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
        start: datetime | None = None,
        end: datetime | None = None,
        misfire_policy: MisfirePolicy | str = MisfirePolicy.RUN_ONCE,
        misfire_grace_time: timedelta | float = 30.0,
        jitter: timedelta | float | None = None,
        description: str = "",
    ) -> None:
        super().__init__(
            event_factory,
            misfire_policy=misfire_policy,
            misfire_grace_time=misfire_grace_time,
            jitter=jitter,
            description=description,
        )
        step = _seconds(interval, "interval") or timedelta(
            weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds
        )
        if step <= timedelta(0):
            raise ValueError("IntervalTrigger needs a positive interval, e.g. seconds=30")
        for name, value in (("start", start), ("end", end)):
            if value is not None and value.tzinfo is None:
                raise ValueError(f"IntervalTrigger {name} must be an aware datetime")
        self.interval = step
        self.start = start.astimezone(UTC) if start else _EPOCH
        self.end = end.astimezone(UTC) if end else None

    def next_fire_time(self, after: datetime) -> datetime | None:
        if after < self.start:
            candidate = self.start
        else:
            count = (after - self.start) // self.interval + 1
            candidate = self.start + count * self.interval
        if self.end is not None and candidate > self.end:
            return None
        return candidate

    def describe(self) -> str:
        return self.description or f"every {self.interval}"


class DateTrigger(ScheduleTrigger):
    """Fires once, at ``run_date``."""

    kind: ClassVar[str] = "date"

    def __init__(
        self,
        run_date: datetime,
        event_factory: ScheduleFactory | None = None,
        *,
        misfire_policy: MisfirePolicy | str = MisfirePolicy.RUN_ONCE,
        misfire_grace_time: timedelta | float = 30.0,
        description: str = "",
    ) -> None:
        super().__init__(
            event_factory,
            misfire_policy=misfire_policy,
            misfire_grace_time=misfire_grace_time,
            description=description,
        )
        if run_date.tzinfo is None:
            raise ValueError("DateTrigger run_date must be an aware datetime (tzinfo=...)")
        self.run_date = run_date.astimezone(UTC)

    def next_fire_time(self, after: datetime) -> datetime | None:
        return self.run_date if after < self.run_date else None

    def describe(self) -> str:
        return self.description or f"once at {self.run_date.isoformat()}"


class EventTrigger(Trigger):
    """Fires for each event on ``source_topic`` (a pattern) read from ``consumer``.

    ``event_factory(event)`` builds the event to publish; returning None drops it. ``group``
    is passed to ``consume`` so that replicas on a durable broker share the events.
    """

    kind: ClassVar[str] = "event"

    def __init__(
        self,
        consumer: Consumer,
        source_topic: str,
        event_factory: SourceEventFactory | None = None,
        *,
        group: str | None = None,
        description: str = "",
    ) -> None:
        super().__init__(event_factory, description)
        self.group = group
        if not hasattr(consumer, "consume"):
            raise TypeError(f"consumer must have a consume(pattern) method, got {consumer!r}")
        if not source_topic:
            raise ValueError("EventTrigger needs a source_topic pattern, e.g. 'data.extracted'")
        self.consumer = consumer
        self.source_topic = source_topic

    def describe(self) -> str:
        return self.description or f"on {self.source_topic!r}"

    def source(self) -> EventTrigger:
        return self

    def open(self) -> Any:
        """Subscribe to ``source_topic`` (in ``group`` when one is set)."""
        if self.group is None:
            return self.consumer.consume(self.source_topic)
        return self.consumer.consume(self.source_topic, group=self.group)


class ManualTrigger(Trigger):
    """Fires only when asked: ``await scheduler.fire(name, payload)``."""

    kind: ClassVar[str] = "manual"

    def __init__(self, event_factory: PayloadFactory | None = None, description: str = "") -> None:
        super().__init__(event_factory, description)


class APITrigger(ManualTrigger):
    """Fires on ``POST /triggers/{name}/fire`` with a bearer token (see ``rfs.scheduler.api``).

    ``token`` is this trigger's secret; without one the router's token applies.
    """

    kind: ClassVar[str] = "api"

    def __init__(
        self,
        event_factory: PayloadFactory | None = None,
        *,
        token: str | None = None,
        description: str = "",
    ) -> None:
        super().__init__(event_factory, description)
        if token is not None and len(token) < 8:
            raise ValueError("APITrigger token must be at least 8 characters")
        self.token = token
