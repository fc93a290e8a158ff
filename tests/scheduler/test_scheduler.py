"""The Scheduler on a fake clock: firing, listing, pausing, bad input and failing factories."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from rfs.events import Event, InMemoryBroker, InMemoryConsumer, InMemoryPublisher
from rfs.result import Failure, Success
from rfs.scheduler import (
    FIRE_ID_HEADER,
    FakeClock,
    Scheduler,
    create_cron_trigger,
    create_date_trigger,
    create_event_trigger,
    create_interval_trigger,
    create_manual_trigger,
)

from .conftest import START, RecordingPublisher


async def test_daily_cron_over_a_week_takes_milliseconds(
    scheduler: Scheduler, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """A 09:00 daily trigger fires exactly seven times in a week of fake time, each at 09:00."""
    trigger = create_cron_trigger(
        cron_expression="0 9 * * *", event_factory=lambda: Event(topic="reports.daily")
    )
    await scheduler.register_trigger("daily_report", trigger, "reports.daily")
    await scheduler.start()
    await clock.advance(timedelta(days=7))
    times = publisher.times("reports.daily")
    assert len(times) == 7
    assert all(t is not None and t.hour == 9 and t.minute == 0 for t in times)


async def test_fire_runs_at_the_scheduled_instant_in_a_time_zone(
    scheduler: Scheduler, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """A Paris 09:00 trigger fires at 08:00 UTC in winter and 07:00 UTC after spring-forward."""
    await scheduler.register_trigger(
        "paris", create_cron_trigger(cron_expression="0 9 * * *", timezone="Europe/Paris"), "t"
    )
    await scheduler.start()
    await clock.advance_to(datetime(2026, 4, 2, tzinfo=UTC))
    hours = {t.hour for t in publisher.times() if t is not None}
    assert hours == {7, 8}
    assert len(publisher.times()) == 32  # March 1 .. April 1


async def test_list_shows_next_fire_times(scheduler: Scheduler) -> None:
    """list() reports every trigger with its kind and next fire time, sorted by name."""
    await scheduler.register_trigger("b", create_interval_trigger(minutes=5), "t")
    await scheduler.register_trigger("a", create_cron_trigger("0 9 * * *"), "t")
    await scheduler.register_trigger("m", create_manual_trigger(), "t")
    infos = scheduler.list()
    assert [i.name for i in infos] == ["a", "b", "m"]
    assert infos[0].next_fire_time == START.replace(hour=9)
    assert infos[1].next_fire_time == START + timedelta(minutes=5)
    assert infos[2].next_fire_time is None and infos[2].kind == "manual"


async def test_duplicate_name_is_refused(scheduler: Scheduler) -> None:
    """Registering a second trigger under a taken name raises ValueError naming it."""
    await scheduler.register_trigger("job", create_interval_trigger(seconds=1), "t")
    with pytest.raises(ValueError, match="'job' is already registered"):
        await scheduler.register_trigger("job", create_interval_trigger(seconds=2), "t")


async def test_bad_registrations_are_refused(scheduler: Scheduler) -> None:
    """No topic and no target, an empty name, or a non-trigger raise at registration."""
    with pytest.raises(ValueError, match="needs a topic"):
        await scheduler.register_trigger("x", create_interval_trigger(seconds=1))
    with pytest.raises(ValueError, match="non-empty"):
        await scheduler.register_trigger("", create_interval_trigger(seconds=1), "t")
    with pytest.raises(TypeError, match="expected a Trigger"):
        await scheduler.register_trigger("y", "0 9 * * *", "t")  # type: ignore[arg-type]


async def test_raising_event_factory_is_logged_and_the_scheduler_keeps_running(
    scheduler: Scheduler,
    publisher: RecordingPublisher,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A factory that raises is logged with the trigger name; other triggers keep firing."""

    def broken() -> Event:
        raise RuntimeError("factory exploded")

    await scheduler.register_trigger(
        "broken", create_interval_trigger(seconds=10, event_factory=broken), "bad"
    )
    await scheduler.register_trigger("good", create_interval_trigger(seconds=10), "good")
    await scheduler.start()
    with caplog.at_level(logging.ERROR, logger="rfs.scheduler"):
        await clock.advance(timedelta(seconds=30))
    assert len(publisher.times("good")) == 3
    assert publisher.times("bad") == []
    assert "factory exploded" in caplog.text and "'broken'" in caplog.text
    info = scheduler.get("broken")
    assert info is not None and info.failures == 3 and "factory exploded" in str(info.last_error)
    assert scheduler.running


async def test_pause_and_resume(
    scheduler: Scheduler, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """A paused trigger does not fire; after resume it fires from then on, not for the pause."""
    await scheduler.register_trigger("tick", create_interval_trigger(seconds=10), "t")
    await scheduler.start()
    await clock.advance(timedelta(seconds=20))
    assert isinstance(await scheduler.pause("tick"), Success)
    assert scheduler.list()[0].paused and scheduler.list()[0].next_fire_time is None
    await clock.advance(timedelta(seconds=60))
    assert len(publisher.times()) == 2
    await scheduler.resume("tick")
    await clock.advance(timedelta(seconds=20))
    assert len(publisher.times()) == 4
    assert isinstance(await scheduler.pause("nope"), Failure)


async def test_manual_fire_and_payload(scheduler: Scheduler, publisher: RecordingPublisher) -> None:
    """fire() runs a manual trigger now, passing the payload to its factory."""
    trigger = create_manual_trigger(lambda payload: Event("manual.run", data=payload))
    await scheduler.register_trigger("by_hand", trigger, "manual.run")
    result = await scheduler.fire("by_hand", {"who": "ops"})
    assert isinstance(result, Success)
    ((topic, event, _),) = publisher.published
    assert topic == "manual.run" and event.data == {"who": "ops"}
    assert event.headers[FIRE_ID_HEADER] == result.value.fire_id
    assert isinstance(await scheduler.fire("missing"), Failure)


async def test_date_trigger_fires_once(
    scheduler: Scheduler, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """A DateTrigger fires once at its date and then has no next fire time."""
    run_at = START + timedelta(hours=2)
    await scheduler.register_trigger("once", create_date_trigger(run_at), "t")
    await scheduler.start()
    await clock.advance(timedelta(days=1))
    assert publisher.times() == [run_at]
    assert scheduler.list()[0].next_fire_time is None


async def test_default_event_carries_trigger_and_times(
    scheduler: Scheduler, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """Without a factory, an Event with the trigger name and scheduled time is published."""
    await scheduler.register_trigger("plain", create_interval_trigger(hours=1), "plain.tick")
    await scheduler.start()
    await clock.advance(timedelta(hours=1))
    ((_, event, _),) = publisher.published
    assert isinstance(event, Event)
    assert event.data["trigger"] == "plain"
    assert event.data["scheduled_time"] == (START + timedelta(hours=1)).isoformat()


async def test_jitter_delays_within_bounds(
    scheduler: Scheduler, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """With jitter, each fire happens between its scheduled time and scheduled + jitter."""
    trigger = create_interval_trigger(minutes=10, jitter=60)
    await scheduler.register_trigger("j", trigger, "t")
    await scheduler.start()
    await clock.advance(timedelta(hours=2))
    events = publisher.published
    assert len(events) >= 11
    for _, event, fired in events:
        scheduled = datetime.fromisoformat(event.data["scheduled_time"])
        assert fired is not None and scheduled <= fired <= scheduled + timedelta(seconds=60)


async def test_async_factory_and_none_drops(
    scheduler: Scheduler, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """An async factory is awaited; a factory returning None publishes nothing."""
    calls: list[datetime] = []

    async def every_other(context: object) -> Event | None:
        calls.append(clock.now())
        return Event("t") if len(calls) % 2 else None

    await scheduler.register_trigger(
        "odd", create_interval_trigger(seconds=1, event_factory=every_other), "t"
    )
    await scheduler.start()
    await clock.advance(timedelta(seconds=4))
    assert len(calls) == 4 and len(publisher.published) == 2


async def test_stop_waits_for_in_flight_fire(clock: FakeClock) -> None:
    """stop() lets a publish in progress finish instead of cancelling it."""
    finished = asyncio.Event()
    started = asyncio.Event()

    class SlowPublisher:
        async def publish(self, topic: str, event: object) -> None:
            started.set()
            await asyncio.sleep(0.05)
            finished.set()

    scheduler = Scheduler(SlowPublisher(), clock=clock)
    await scheduler.register_trigger("slow", create_manual_trigger(), "t")
    await scheduler.start()
    fire = asyncio.create_task(scheduler.fire("slow"))
    await started.wait()
    await scheduler.stop()
    await fire
    assert finished.is_set()
    assert not scheduler.running


async def test_unregister_stops_firing(
    scheduler: Scheduler, publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """An unregistered trigger fires no more; unregistering twice returns False."""
    await scheduler.register_trigger("gone", create_interval_trigger(seconds=5), "t")
    await scheduler.start()
    await clock.advance(timedelta(seconds=10))
    assert await scheduler.unregister_trigger("gone")
    assert not await scheduler.unregister_trigger("gone")
    await clock.advance(timedelta(seconds=60))
    assert len(publisher.published) == 2


async def test_event_trigger_republishes_with_factory(clock: FakeClock) -> None:
    """An event on the source topic makes the factory's event appear on the trigger's topic."""
    broker = InMemoryBroker()
    publisher = InMemoryPublisher(broker)
    consumer = InMemoryConsumer(broker)
    out = consumer.consume("pipeline.transform")
    scheduler = Scheduler(publisher, clock=clock)
    trigger = create_event_trigger(
        consumer=consumer,
        source_topic="data.*",
        event_factory=lambda event: Event(topic="pipeline.transform", data=event.data),
    )
    await scheduler.register_trigger("auto_transform", trigger, "pipeline.transform")
    await scheduler.start()
    await asyncio.sleep(0)  # let the trigger subscribe
    await publisher.publish("data.extracted", Event("data.extracted", {"rows": [1, 2]}))
    received = await asyncio.wait_for(anext(aiter(out)), 5)
    assert received.data == {"rows": [1, 2]}
    assert FIRE_ID_HEADER in received.headers
    await scheduler.stop()
    await out.close()
    await broker.close()


async def test_context_manager_starts_and_stops(
    publisher: RecordingPublisher, clock: FakeClock
) -> None:
    """``async with Scheduler(...)`` runs the scheduler for the block."""
    async with Scheduler(publisher, clock=clock) as scheduler:
        assert scheduler.running and scheduler.is_leader
    assert not scheduler.running


async def test_event_factory_that_raises_keeps_the_event_trigger_alive(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """An event trigger whose factory raises on one event logs it and handles the next."""
    broker = InMemoryBroker()
    publisher = InMemoryPublisher(broker)
    consumer = InMemoryConsumer(broker)
    out = consumer.consume("out")

    def factory(event: Event) -> Event:
        if event.data == "bad":
            raise ValueError("cannot convert 'bad'")
        return Event("out", data=event.data)

    scheduler = Scheduler(publisher, clock=clock)
    trigger = create_event_trigger(consumer=consumer, source_topic="in", event_factory=factory)
    await scheduler.register_trigger("convert", trigger, "out")
    await scheduler.start()
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="rfs.scheduler"):
        await publisher.publish("in", Event("in", data="bad"))
        await publisher.publish("in", Event("in", data="good"))
        received = await asyncio.wait_for(anext(aiter(out)), 5)
    assert received.data == "good"
    assert "cannot convert 'bad'" in caplog.text
    info = scheduler.get("convert")
    assert info is not None and info.failures == 1 and info.fires == 1
    await scheduler.stop()
    await out.close()
    await broker.close()


async def test_publisher_failure_is_logged_not_raised(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A publisher returning Failure makes the fire a logged failure; later fires still run."""
    attempts: list[str] = []

    class Refusing:
        async def publish(self, topic: str, event: object) -> Failure[str]:
            attempts.append(topic)
            return Failure("broker is full")

    scheduler = Scheduler(Refusing(), clock=clock)
    await scheduler.register_trigger("t", create_interval_trigger(seconds=1), "topic")
    await scheduler.start()
    with caplog.at_level(logging.ERROR, logger="rfs.scheduler"):
        await clock.advance(timedelta(seconds=3))
    await scheduler.stop()
    assert len(attempts) == 3
    assert "broker is full" in caplog.text
    assert scheduler.list()[0].failures == 3


async def test_stale_fencing_token_stops_firing(clock: FakeClock) -> None:
    """When the store holds a newer leader's token, the next fire is refused before it publishes."""
    from rfs.scheduler import MemoryStateStore, TriggerState

    class OneShotLock:
        lease = 60.0
        renew_interval = 0.01

        async def acquire(self) -> int | None:
            return 1

        async def renew(self) -> bool:
            return True

        async def release(self) -> None:
            return None

        async def close(self) -> None:
            return None

    store = MemoryStateStore()
    publisher = RecordingPublisher(clock)
    scheduler = Scheduler(publisher, clock=clock, store=store, leader=OneShotLock())
    await scheduler.register_trigger("t", create_interval_trigger(seconds=10), "t")
    await scheduler.start()
    for _ in range(100):
        if scheduler.is_leader:
            break
        await asyncio.sleep(0.01)
    assert scheduler.fencing_token == 1
    await clock.advance(timedelta(seconds=10))
    assert len(publisher.published) == 1
    # a newer leader (token 2) writes; our next save is refused and we stop leading
    await store.save([TriggerState("t", cursor=START)], 2)
    await clock.advance(timedelta(seconds=10))
    assert not scheduler.is_leader
    await clock.advance(timedelta(seconds=30))
    assert len(publisher.published) == 1  # the claim before publishing was refused: nothing more
    await scheduler.stop()
