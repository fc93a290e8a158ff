"""Leadership with lock clients that misbehave in time: late renewals, swallowed cancellations."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from _waiting import until
from rfs.scheduler import FakeClock, Scheduler, create_interval_trigger

from .conftest import RecordingPublisher

TICK = timedelta(seconds=10)


class StallingLock:
    """A lock always ours; ``stall()`` makes the next renewals wait until ``resume()``."""

    lease = 2.0  # long enough that a loaded machine does not let it lapse unasked
    renew_interval = 0.01

    def __init__(self) -> None:
        self.free = asyncio.Event()
        self.free.set()
        self.stalled = asyncio.Event()

    def stall(self) -> None:
        self.free.clear()

    def resume(self) -> None:
        self.free.set()

    async def acquire(self) -> int | None:
        return 1

    async def renew(self) -> bool:
        if not self.free.is_set():
            self.stalled.set()
            await self.free.wait()
        return True

    async def release(self) -> None:
        pass

    async def close(self) -> None:
        pass


class SwallowingLock(StallingLock):
    """The first renewal drops a cancellation and returns, as redis-py's send does on Python
    3.11 when the cancellation meets a send that has just completed (``asyncio.wait_for``)."""

    swallowed = False

    async def renew(self) -> bool:
        self.stalled.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed = True
        return True


async def test_a_late_renewal_that_succeeds_resumes_firing(
    clock: FakeClock, publisher: RecordingPublisher
) -> None:
    """A renewal slower than the lease leaves the instance not leading until it returns; when
    it succeeds (the lock was still ours) the scheduler fires again, also the tick it held back."""
    lock = StallingLock()
    scheduler = Scheduler(publisher, clock=clock, leader=lock)
    await scheduler.register_trigger("tick", create_interval_trigger(TICK), "t")
    await scheduler.start()
    try:
        await until(lambda: scheduler.is_leader)
        await clock.advance(TICK)
        assert len(publisher.published) == 1
        lock.stall()
        await until(lambda: not scheduler.is_leader)  # the lease ran out during the renewal
        await clock.advance(TICK)  # the loop wakes for the tick, finds itself not leading
        assert len(publisher.published) == 1
        lock.resume()
        await until(lambda: len(publisher.published) == 2)
    finally:
        lock.resume()
        await scheduler.stop()


async def test_stop_returns_when_the_lock_client_swallows_the_cancellation(
    clock: FakeClock, publisher: RecordingPublisher
) -> None:
    """stop() ends the renewal task even when the renewal in flight ignores the cancellation."""
    lock = SwallowingLock()
    scheduler = Scheduler(publisher, clock=clock, leader=lock)
    await scheduler.start()
    await lock.stalled.wait()  # a renewal is in flight
    async with asyncio.timeout(10):
        await scheduler.stop()
    assert lock.swallowed and not scheduler.running
