"""The leader-change window: a fire recorded under the fencing token, repeats carry its id.

Two schedulers share a store and a lock. The leader publishes a tick and stalls before it can
record it (as if killed); the new leader publishes that tick again with the same event id and
header, and the old leader, when it wakes, is refused before it publishes anything more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rfs.scheduler import FIRE_ID_HEADER, FakeClock, MemoryStateStore, Scheduler
from rfs.scheduler import create_interval_trigger as interval

from .conftest import START

TEN = timedelta(seconds=10)


class LockService:
    """One lock that several ``ServiceLock`` clients contend for, with increasing tokens."""

    def __init__(self) -> None:
        self.holder: str | None = None
        self.token = 0


class ServiceLock:
    lease = 60.0

    def __init__(self, service: LockService, name: str, renew_interval: float = 0.005) -> None:
        self.service, self.name = service, name
        self.renew_interval = renew_interval

    async def acquire(self) -> int | None:
        if self.service.holder not in (None, self.name):
            return None
        self.service.holder = self.name
        self.service.token += 1
        return self.service.token

    async def renew(self) -> bool:
        return self.service.holder == self.name

    async def release(self) -> None:
        if self.service.holder == self.name:
            self.service.holder = None

    async def close(self) -> None:
        await self.release()


class Recorder:
    """Records (who, scheduled time, event id, fire-id header); can stall after publishing."""

    def __init__(self, who: str, log: list[tuple[str, str, str, str]]) -> None:
        self.who, self.log = who, log
        self.stall_at: str | None = None
        self.stalled = asyncio.Event()
        self.wake = asyncio.Event()

    async def publish(self, topic: str, event: Any) -> None:
        scheduled = event.data["scheduled_time"]
        self.log.append((self.who, scheduled, event.id, event.headers[FIRE_ID_HEADER]))
        if scheduled == self.stall_at:
            self.stalled.set()
            await self.wake.wait()  # published, not yet recorded: the window


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


async def leader_and_follower(
    clock: FakeClock, service: LockService, log: list[tuple[str, str, str, str]], a_renew: float
) -> tuple[Scheduler, Recorder, Scheduler]:
    """Schedulers a (leading, has fired 00:10) and b (following) on one store and lock."""
    store = MemoryStateStore()
    a_out = Recorder("a", log)
    a_lock = ServiceLock(service, "a", renew_interval=a_renew)
    a = Scheduler(a_out, clock=clock, store=store, leader=a_lock)
    b = Scheduler(Recorder("b", log), clock=clock, store=store, leader=ServiceLock(service, "b"))
    for scheduler in (a, b):
        await scheduler.register_trigger("tick", interval(seconds=10), "ticks")
    await a.start()
    await until(lambda: a.is_leader)
    await b.start()
    await clock.advance(TEN)  # a fires 00:10
    return a, a_out, b


async def test_new_leader_repeats_only_the_unrecorded_tick_with_its_id() -> None:
    """A tick published but not recorded is published again with the same id; nothing else."""
    clock, service = FakeClock(START), LockService()
    log: list[tuple[str, str, str, str]] = []
    a, a_out, b = await leader_and_follower(clock, service, log, a_renew=0.005)
    tick2 = (START + 2 * TEN).isoformat()
    a_out.stall_at = tick2
    advancing = asyncio.create_task(clock.advance(TEN))
    await a_out.stalled.wait()  # a published 00:20 and stalls before recording it
    service.holder = None  # a's lease ends (as when it is killed); b takes the lock
    await until(lambda: sum(1 for entry in log if entry[1] == tick2) == 2)
    a_out.wake.set()  # a wakes up: its record is refused, it stops leading
    await advancing
    assert b.is_leader and not a.is_leader
    await clock.advance(TEN)  # 00:30: only b
    await a.stop()
    await b.stop()

    times = [(who, scheduled[11:19]) for who, scheduled, _, _ in log]
    assert times == [("a", "00:00:10"), ("a", "00:00:20"), ("b", "00:00:20"), ("b", "00:00:30")]
    first, repeat = (entry for entry in log if entry[1] == tick2)
    assert first[2:] == repeat[2:]  # same event id, same rfs-fire-id header
    assert first[2] == first[3]
    assert len({event_id for _, _, event_id, _ in log}) == 3  # deduplicated by id: each once


async def test_replaced_leader_that_has_not_noticed_publishes_nothing() -> None:
    """A leader replaced before it renews is refused at its next fire, before publishing."""
    clock, service = FakeClock(START), LockService()
    log: list[tuple[str, str, str, str]] = []
    # a renews only once an hour: it does not notice that it lost the lock
    a, _, b = await leader_and_follower(clock, service, log, a_renew=3600)
    service.holder = None  # a's lock is gone (its session died); b takes it
    await until(lambda: b.is_leader)
    await clock.advance(TEN)  # both wake for 00:20: a's claim is refused
    assert a.is_leader is False
    await a.stop()
    await b.stop()
    assert [(who, scheduled[11:19]) for who, scheduled, _, _ in log] == [
        ("a", "00:00:10"),
        ("b", "00:00:20"),
    ]
