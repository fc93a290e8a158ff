"""Misfire policies: planning late fire times, and restarts after downtime honouring them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.result import Result
from rfs.scheduler import (
    FakeClock,
    MemoryStateStore,
    MisfirePolicy,
    Scheduler,
    SQLStateStore,
    StaleFence,
    StateStore,
    TriggerState,
    create_cron_trigger,
    create_interval_trigger,
)
from rfs.scheduler.misfire import parse_policy, plan_fires

from .conftest import START, RecordingPublisher

HOUR = timedelta(hours=1)


def hourly(after: datetime) -> datetime:
    return after.replace(minute=0, second=0, microsecond=0) + HOUR


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (MisfirePolicy.SKIP, []),
        (MisfirePolicy.RUN_ONCE, [START + HOUR]),
        (MisfirePolicy.RUN_ALL, [START + HOUR * i for i in range(1, 6)]),
    ],
)
def test_plan_for_five_missed_hours(policy: MisfirePolicy, expected: list[datetime]) -> None:
    """Five hours late: skip drops them, run_once runs one, run_all runs each in order."""
    now = START + HOUR * 5 + timedelta(minutes=10)
    plan = plan_fires(hourly, START, now, policy, timedelta(seconds=30))
    assert plan.fire_times == expected
    assert plan.misfired
    assert hourly(plan.cursor) == START + HOUR * 6  # nothing before now fires again


def test_on_time_fires_run_under_every_policy() -> None:
    """A fire later than its time but within the grace time runs whatever the policy."""
    now = START + HOUR + timedelta(seconds=10)
    for policy in MisfirePolicy:
        plan = plan_fires(hourly, START, now, policy, timedelta(seconds=30))
        assert plan.fire_times == [START + HOUR] and not plan.misfired


def test_run_all_catches_up_in_batches() -> None:
    """run_all returns at most ``batch`` times; the cursor lets the caller continue."""
    now = START + HOUR * 250
    plan = plan_fires(hourly, START, now, MisfirePolicy.RUN_ALL, timedelta(0), batch=100)
    assert len(plan.fire_times) == 100 and plan.cursor == START + HOUR * 100


def test_unknown_policy_name_lists_choices() -> None:
    """A misspelt policy raises ValueError listing the valid names."""
    with pytest.raises(ValueError, match="skip, run_once, run_all"):
        parse_policy("sometimes")
    with pytest.raises(ValueError, match="skip, run_once, run_all"):
        create_interval_trigger(seconds=1, misfire_policy="never")


async def run_with_downtime(
    store: StateStore, policy: MisfirePolicy, downtime: timedelta
) -> tuple[list[str], list[str]]:
    """Run 3 hours, stop, stay down for ``downtime``, restart: scheduled times per run."""
    clock = FakeClock(START)

    def trigger() -> object:
        return create_cron_trigger(cron_expression="0 * * * *", misfire_policy=policy)

    first = RecordingPublisher(clock)
    scheduler = Scheduler(first, clock=clock, store=store)
    await scheduler.register_trigger("hourly", trigger(), "t")  # type: ignore[arg-type]
    await scheduler.start()
    await clock.advance(HOUR * 3)
    await scheduler.stop()
    await clock.advance(downtime)

    second = RecordingPublisher(clock)
    restarted = Scheduler(second, clock=clock, store=store)
    await restarted.register_trigger("hourly", trigger(), "t")  # type: ignore[arg-type]
    await restarted.start()
    await clock.advance(timedelta(minutes=30))
    await restarted.stop()
    return (
        [e.data["scheduled_time"] for _, e, _ in first.published],
        [e.data["scheduled_time"] for _, e, _ in second.published],
    )


def iso(hours: int) -> str:
    return (START + HOUR * hours).isoformat()


EXPECTED_AFTER_DOWNTIME = {
    MisfirePolicy.SKIP: [],
    MisfirePolicy.RUN_ONCE: [iso(4)],
    MisfirePolicy.RUN_ALL: [iso(4), iso(5), iso(6), iso(7), iso(8)],
}


@pytest.mark.parametrize("policy", list(MisfirePolicy))
async def test_restart_after_downtime_honours_policy(policy: MisfirePolicy) -> None:
    """Down from 03:00 to 08:10: skip fires nothing, run_once one, run_all the five missed."""
    before, after = await run_with_downtime(
        MemoryStateStore(), policy, HOUR * 5 + timedelta(minutes=10)
    )
    assert before == [iso(1), iso(2), iso(3)]
    assert after == EXPECTED_AFTER_DOWNTIME[policy]


@pytest.mark.parametrize("policy", list(MisfirePolicy))
async def test_restart_without_downtime_repeats_nothing(policy: MisfirePolicy) -> None:
    """An immediate restart fires none of the times already fired."""
    before, after = await run_with_downtime(MemoryStateStore(), policy, timedelta(0))
    assert before == [iso(1), iso(2), iso(3)] and after == []


async def test_restart_with_sqlite_store(tmp_path: Path) -> None:
    """State kept in SQLite survives a new store object (a new process) and run_all catches up."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'sched.db'}"
    store = SQLStateStore(url)
    clock = FakeClock(START)
    publisher = RecordingPublisher(clock)
    scheduler = Scheduler(publisher, clock=clock, store=store)
    trigger = create_interval_trigger(hours=1, misfire_policy="run_all")
    await scheduler.register_trigger("hourly", trigger, "t")
    await scheduler.start()
    await clock.advance(HOUR * 2)
    await scheduler.stop()
    await store.close()
    await clock.advance(HOUR * 3)

    reopened = SQLStateStore(url)
    publisher2 = RecordingPublisher(clock)
    restarted = Scheduler(publisher2, clock=clock, store=reopened)
    await restarted.register_trigger("hourly", trigger, "t")
    await restarted.start()
    await clock.advance(timedelta(minutes=1))
    await restarted.stop()
    states = await reopened.load_all()
    await reopened.close()
    assert [t for t in publisher.times()] == [START + HOUR, START + HOUR * 2]
    assert [e.data["scheduled_time"] for _, e, _ in publisher2.published] == [
        iso(3),
        iso(4),
        iso(5),
    ]
    assert states["hourly"].cursor == START + HOUR * 5
    assert states["hourly"].next_fire == START + HOUR * 6


async def test_paused_state_survives_restart() -> None:
    """A trigger paused before a restart is still paused after it."""
    store = MemoryStateStore()
    clock = FakeClock(START)
    scheduler = Scheduler(RecordingPublisher(clock), clock=clock, store=store)
    await scheduler.register_trigger("p", create_interval_trigger(minutes=1), "t")
    await scheduler.start()
    await scheduler.pause("p")
    await scheduler.stop()
    again = Scheduler(RecordingPublisher(clock), clock=clock, store=store)
    await again.register_trigger("p", create_interval_trigger(minutes=1), "t")
    assert again.list()[0].paused
    assert datetime.now(UTC) > START  # sanity: fake time is independent of real time


@settings(max_examples=300, deadline=None)
@given(
    step=st.integers(min_value=1, max_value=600),
    cursor_offset=st.integers(min_value=0, max_value=10_000),
    elapsed=st.integers(min_value=0, max_value=20_000),
    grace=st.integers(min_value=0, max_value=3_000),
    policy=st.sampled_from(list(MisfirePolicy)),
)
def test_plan_laws(
    step: int, cursor_offset: int, elapsed: int, grace: int, policy: MisfirePolicy
) -> None:
    """Planned fires are due, ordered, never repeated; run_all fires every due time and skip
    exactly the on-time ones; run_once at most one more than skip; the cursor only advances."""
    trigger = create_interval_trigger(seconds=step)
    cursor = START + timedelta(seconds=cursor_offset)
    now = cursor + timedelta(seconds=elapsed)
    plan = plan_fires(trigger.next_fire_time, cursor, now, policy, timedelta(seconds=grace), 10**6)
    due = []
    t = trigger.next_fire_time(cursor)
    while t is not None and t <= now:
        due.append(t)
        t = trigger.next_fire_time(t)
    on_time = [t for t in due if t >= now - timedelta(seconds=grace)]
    assert plan.fire_times == sorted(set(plan.fire_times))
    assert set(plan.fire_times) <= set(due)
    assert cursor <= plan.cursor <= now
    assert plan.upcoming == trigger.next_fire_time(plan.cursor)
    if policy is MisfirePolicy.RUN_ALL:
        assert plan.fire_times == due
    elif policy is MisfirePolicy.SKIP:
        assert plan.fire_times == on_time
    else:
        if on_time:
            assert plan.fire_times[-len(on_time) :] == on_time
        assert len(on_time) <= len(plan.fire_times) <= len(on_time) + 1
        assert bool(due) == bool(plan.fire_times)
    again = plan_fires(trigger.next_fire_time, plan.cursor, now, policy, timedelta(seconds=grace))
    assert again.fire_times == []


async def test_unreachable_store_fails_start_cleanly() -> None:
    """A store that cannot be read makes start() raise and leaves the scheduler stopped."""

    class DownStore(MemoryStateStore):
        down = False

        async def load_all(self) -> dict[str, TriggerState]:
            if self.down:
                raise ConnectionError("connection refused")
            return await super().load_all()

    store = DownStore()
    scheduler = Scheduler(RecordingPublisher(), store=store)
    await scheduler.register_trigger("t", create_interval_trigger(seconds=1), "t")
    store.down = True
    with pytest.raises(ConnectionError, match="connection refused"):
        await scheduler.start()
    assert not scheduler.running
    store.down = False
    await scheduler.start()
    assert scheduler.running
    await scheduler.stop()


async def test_store_outage_is_logged_and_firing_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While the store raises, fires still happen and are logged; state is saved once it is back."""

    class FlakyStore(MemoryStateStore):
        failures = 0

        async def save(self, states: list[TriggerState], fence: int) -> Result[None, StaleFence]:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("store connection dropped")
            return await super().save(states, fence)

    clock = FakeClock(START)
    store = FlakyStore()
    publisher = RecordingPublisher(clock)
    scheduler = Scheduler(publisher, clock=clock, store=store)
    await scheduler.register_trigger("t", create_interval_trigger(minutes=1), "t")
    await scheduler.start()
    store.failures = 2  # the next two writes fail
    with caplog.at_level(logging.ERROR, logger="rfs.scheduler"):
        await clock.advance(timedelta(minutes=5))
    await scheduler.stop()
    assert "store connection dropped" in caplog.text
    assert len(publisher.published) == 5  # no tick lost, none repeated
    assert (await store.load_all())["t"].cursor == START + timedelta(minutes=5)


async def test_misfires_are_counted_per_trigger() -> None:
    """Each restart that finds fire times past the grace time counts one misfire, with its
    time; a restart without downtime counts none."""
    clock = FakeClock(START)
    store = MemoryStateStore()
    scheduler = Scheduler(RecordingPublisher(clock), clock=clock, store=store)
    trigger = create_cron_trigger(cron_expression="0 * * * *", misfire_policy="skip")
    await scheduler.register_trigger("hourly", trigger, "t")
    await scheduler.start()
    await clock.advance(HOUR * 2)
    info = scheduler.get("hourly")
    assert info is not None and (info.misfires, info.last_misfire_time) == (0, None)
    for downtime in (HOUR * 3, timedelta(0)):
        await scheduler.stop()
        await clock.advance(downtime)
        await scheduler.start()
        await clock.settle()
    info = scheduler.get("hourly")
    assert info is not None and info.misfires == 1
    assert info.last_misfire_time == START + HOUR * 5
    assert info.to_dict()["last_misfire_time"] == (START + HOUR * 5).isoformat()
    await scheduler.stop()
