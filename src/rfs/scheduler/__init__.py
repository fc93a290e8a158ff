"""Scheduler: cron, interval, date, event, API and manual triggers, fired once across instances.

Names load lazily, so ``import rfs.scheduler`` is cheap; the SQL store, the Redis and
PostgreSQL leader locks and the FastAPI router import their libraries only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Scheduler": "rfs.scheduler.scheduler",
    "SchedulerError": "rfs.scheduler.entry",
    "TriggerInfo": "rfs.scheduler.entry",
    "Trigger": "rfs.scheduler.triggers",
    "ScheduleTrigger": "rfs.scheduler.triggers",
    "CronTrigger": "rfs.scheduler.triggers",
    "IntervalTrigger": "rfs.scheduler.triggers",
    "DateTrigger": "rfs.scheduler.triggers",
    "EventTrigger": "rfs.scheduler.triggers",
    "APITrigger": "rfs.scheduler.triggers",
    "ManualTrigger": "rfs.scheduler.triggers",
    "create_cron_trigger": "rfs.scheduler.factories",
    "create_interval_trigger": "rfs.scheduler.factories",
    "create_date_trigger": "rfs.scheduler.factories",
    "create_event_trigger": "rfs.scheduler.factories",
    "create_api_trigger": "rfs.scheduler.factories",
    "create_manual_trigger": "rfs.scheduler.factories",
    "CronExpression": "rfs.scheduler.cron",
    "CronError": "rfs.scheduler.cron_syntax",
    "MisfirePolicy": "rfs.scheduler.misfire",
    "Clock": "rfs.scheduler.clock",
    "SystemClock": "rfs.scheduler.clock",
    "FakeClock": "rfs.scheduler.clock",
    "FireContext": "rfs.scheduler.targets",
    "Target": "rfs.scheduler.targets",
    "PublishTarget": "rfs.scheduler.targets",
    "PipelineTarget": "rfs.scheduler.targets",
    "FIRE_ID_HEADER": "rfs.scheduler.targets",
    "StateStore": "rfs.scheduler.store",
    "TriggerState": "rfs.scheduler.store",
    "MemoryStateStore": "rfs.scheduler.store",
    "StaleFence": "rfs.scheduler.store",
    "SQLStateStore": "rfs.scheduler.backends.sql_store",
    "LeaderLock": "rfs.scheduler.leader",
    "RedisLeaderLock": "rfs.scheduler.backends.redis_leader",
    "PostgresLeaderLock": "rfs.scheduler.backends.postgres_leader",
}

__all__ = [
    "FIRE_ID_HEADER",
    "APITrigger",
    "Clock",
    "CronError",
    "CronExpression",
    "CronTrigger",
    "DateTrigger",
    "EventTrigger",
    "FakeClock",
    "FireContext",
    "IntervalTrigger",
    "LeaderLock",
    "ManualTrigger",
    "MemoryStateStore",
    "MisfirePolicy",
    "PipelineTarget",
    "PostgresLeaderLock",
    "PublishTarget",
    "RedisLeaderLock",
    "SQLStateStore",
    "ScheduleTrigger",
    "Scheduler",
    "SchedulerError",
    "StaleFence",
    "StateStore",
    "SystemClock",
    "Target",
    "Trigger",
    "TriggerInfo",
    "TriggerState",
    "create_api_trigger",
    "create_cron_trigger",
    "create_date_trigger",
    "create_event_trigger",
    "create_interval_trigger",
    "create_manual_trigger",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from rfs.scheduler.backends.postgres_leader import PostgresLeaderLock
    from rfs.scheduler.backends.redis_leader import RedisLeaderLock
    from rfs.scheduler.backends.sql_store import SQLStateStore
    from rfs.scheduler.clock import Clock, FakeClock, SystemClock
    from rfs.scheduler.cron import CronExpression
    from rfs.scheduler.cron_syntax import CronError
    from rfs.scheduler.entry import SchedulerError, TriggerInfo
    from rfs.scheduler.factories import (
        create_api_trigger,
        create_cron_trigger,
        create_date_trigger,
        create_event_trigger,
        create_interval_trigger,
        create_manual_trigger,
    )
    from rfs.scheduler.leader import LeaderLock
    from rfs.scheduler.misfire import MisfirePolicy
    from rfs.scheduler.scheduler import Scheduler
    from rfs.scheduler.store import MemoryStateStore, StaleFence, StateStore, TriggerState
    from rfs.scheduler.targets import (
        FIRE_ID_HEADER,
        FireContext,
        PipelineTarget,
        PublishTarget,
        Target,
    )
    from rfs.scheduler.triggers import (
        APITrigger,
        CronTrigger,
        DateTrigger,
        EventTrigger,
        IntervalTrigger,
        ManualTrigger,
        ScheduleTrigger,
        Trigger,
    )
