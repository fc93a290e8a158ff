"""Static checks of the scheduler API, run by `mypy --strict` and `pyright --strict` (make lint).

Nothing here runs in pytest.
"""

from __future__ import annotations

from datetime import datetime
from typing import assert_type

from rfs import Result
from rfs.events import Event, InMemoryBroker, InMemoryConsumer, InMemoryPublisher
from rfs.scheduler import (
    CronTrigger,
    EventTrigger,
    FakeClock,
    FireContext,
    IntervalTrigger,
    Scheduler,
    SchedulerError,
    TriggerInfo,
    create_cron_trigger,
    create_event_trigger,
    create_interval_trigger,
)


async def typed() -> None:
    broker = InMemoryBroker()
    publisher = InMemoryPublisher(broker)
    consumer = InMemoryConsumer(broker)
    cron = create_cron_trigger(
        cron_expression="0 9 * * *",
        event_factory=lambda: Event(topic="reports.daily"),
        timezone="Europe/Paris",
    )
    assert_type(cron, CronTrigger)
    assert_type(cron.next_fire_time(datetime.now()), datetime | None)
    assert_type(create_interval_trigger(seconds=5), IntervalTrigger)
    on_event = create_event_trigger(
        consumer=consumer,
        source_topic="data.extracted",
        event_factory=lambda event: Event(topic="next", data=event.data),
    )
    assert_type(on_event, EventTrigger)

    scheduler = Scheduler(publisher, clock=FakeClock())
    await scheduler.register_trigger("daily", cron, "reports.daily")
    await scheduler.start()
    assert_type(scheduler.list(), list[TriggerInfo])
    assert_type(await scheduler.fire("daily"), Result[FireContext, SchedulerError])
    assert_type(await scheduler.pause("daily"), Result[TriggerInfo, SchedulerError])
    await scheduler.stop()
