"""Factory functions with the keyword names of the dp-poc seed (``create_cron_trigger`` ...)."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from rfs.scheduler.misfire import MisfirePolicy
from rfs.scheduler.triggers import (
    APITrigger,
    Consumer,
    CronTrigger,
    DateTrigger,
    EventTrigger,
    IntervalTrigger,
    ManualTrigger,
    PayloadFactory,
    ScheduleFactory,
    SourceEventFactory,
)


def create_cron_trigger(
    cron_expression: str,
    event_factory: ScheduleFactory | None = None,
    timezone: str | tzinfo | None = None,
    *,
    misfire_policy: MisfirePolicy | str = MisfirePolicy.RUN_ONCE,
    misfire_grace_time: timedelta | float = 30.0,
    jitter: timedelta | float | None = None,
    description: str = "",
    hash_key: str | None = None,
) -> CronTrigger:
    """A cron trigger: ``create_cron_trigger(cron_expression="0 9 * * *", event_factory=...)``.

    ``hash_key`` seeds ``R`` fields (default: the expression), the same in every process.
    """
    return CronTrigger(
        cron_expression,
        event_factory,
        timezone=timezone,
        misfire_policy=misfire_policy,
        misfire_grace_time=misfire_grace_time,
        jitter=jitter,
        description=description,
        hash_key=hash_key,
    )


def create_interval_trigger(
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
) -> IntervalTrigger:
    """An interval trigger: ``create_interval_trigger(minutes=5, event_factory=...)``."""
    return IntervalTrigger(
        interval,
        event_factory,
        weeks=weeks,
        days=days,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
        start=start,
        end=end,
        misfire_policy=misfire_policy,
        misfire_grace_time=misfire_grace_time,
        jitter=jitter,
        description=description,
    )


def create_date_trigger(
    run_date: datetime,
    event_factory: ScheduleFactory | None = None,
    *,
    misfire_policy: MisfirePolicy | str = MisfirePolicy.RUN_ONCE,
    misfire_grace_time: timedelta | float = 30.0,
    description: str = "",
) -> DateTrigger:
    """A one-shot trigger at ``run_date`` (aware)."""
    return DateTrigger(
        run_date,
        event_factory,
        misfire_policy=misfire_policy,
        misfire_grace_time=misfire_grace_time,
        description=description,
    )


def create_event_trigger(
    consumer: Consumer,
    source_topic: str,
    event_factory: SourceEventFactory | None = None,
    *,
    group: str | None = None,
    description: str = "",
) -> EventTrigger:
    """An event trigger: each event on ``source_topic`` read from ``consumer`` fires it."""
    return EventTrigger(consumer, source_topic, event_factory, group=group, description=description)


def create_api_trigger(
    event_factory: PayloadFactory | None = None,
    *,
    token: str | None = None,
    description: str = "",
) -> APITrigger:
    """A trigger fired by an authenticated HTTP call (``rfs.scheduler.api``)."""
    return APITrigger(event_factory, token=token, description=description)


def create_manual_trigger(
    event_factory: PayloadFactory | None = None, *, description: str = ""
) -> ManualTrigger:
    """A trigger fired only by ``await scheduler.fire(name)``."""
    return ManualTrigger(event_factory, description)
