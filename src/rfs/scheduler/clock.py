"""Clocks: the system clock, and a fake clock that tests move forward by hand."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Where the scheduler reads the time and waits for it."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...

    async def sleep_until(self, when: datetime, interrupt: asyncio.Event | None = None) -> None:
        """Return once ``when`` is reached, or earlier when ``interrupt`` is set."""
        ...


async def _wait_interrupt(interrupt: asyncio.Event | None, seconds: float) -> None:
    if interrupt is None:
        await asyncio.sleep(seconds)
        return
    try:
        async with asyncio.timeout(seconds):
            await interrupt.wait()
    except TimeoutError:
        pass


class SystemClock:
    """Real time: ``datetime.now(UTC)`` and ``asyncio`` sleeps.

    The event loop's timers wake up to a millisecond late (epoll counts milliseconds), so the
    last ``spin`` seconds before a deadline are waited by yielding to the loop instead; other
    tasks keep running meanwhile. ``spin=0`` turns this off.
    """

    def __init__(self, *, spin: float = 0.0015) -> None:
        self.spin = spin

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime, interrupt: asyncio.Event | None = None) -> None:
        # sleep in slices so a wall-clock jump is noticed within a minute
        while True:
            remaining = (when - datetime.now(UTC)).total_seconds()
            if remaining <= 0 or (interrupt is not None and interrupt.is_set()):
                return
            if remaining <= self.spin:
                await asyncio.sleep(0)
                continue
            await _wait_interrupt(interrupt, min(remaining - self.spin, 60.0))


class FakeClock:
    """A clock that only moves when told to; sleepers wake as it passes their deadline.

    ``await clock.advance(timedelta(days=1))`` steps through every deadline in between, waking
    each sleeper at its exact time and waiting until the woken tasks are asleep again (or done),
    so a day of a cron schedule runs in milliseconds.

    Background runs the scheduler starts (a ``PipelineTarget``) take real time; ``advance``
    waits for each to finish, up to ``run_wait`` real seconds, before it moves past the next
    deadline, so a second fire does not find the first run "still going". A run still going
    after ``run_wait`` is left running (``run_wait=0``: never wait for runs).
    """

    def __init__(
        self,
        start: datetime | None = None,
        *,
        settle_timeout: float = 10.0,
        run_wait: float = 10.0,
    ) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware start time, e.g. datetime(..., tzinfo=UTC)")
        self._now = start.astimezone(UTC)
        self._settle_timeout = settle_timeout
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._owners: dict[
            asyncio.Future[None], tuple[asyncio.Task[object] | None, asyncio.Event | None]
        ] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._run_wait = run_wait
        self._runs: dict[asyncio.Task[Any], float] = {}  # background run -> wait-until (loop time)
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, when: datetime, interrupt: asyncio.Event | None = None) -> None:
        if when <= self._now:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        task = asyncio.current_task()
        heapq.heappush(self._sleepers, (when, next(self._seq), future))
        self._owners[future] = (task, interrupt)
        if task is not None:
            self._tasks.add(task)
        try:
            if interrupt is None:
                await future
                return
            waiter: asyncio.Future[Any] = asyncio.ensure_future(interrupt.wait())
            pending: set[asyncio.Future[Any]] = {future, waiter}
            try:
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        finally:
            self._owners.pop(future, None)
            if not future.done():
                future.cancel()

    def track(self, task: asyncio.Task[Any]) -> None:
        """Count ``task`` as work of this clock: ``advance`` waits until it sleeps or ends.

        The scheduler calls this for each background run it starts (a ``PipelineTarget``), so
        ``advance(timedelta(days=2))`` over two daily fires lets the first run finish (in real
        time, up to ``settle_timeout``) before the second fire, which is then not refused.
        """
        self._runs[task] = asyncio.get_running_loop().time() + self._run_wait

    def _runs_settled(self, now: float) -> bool:
        """Whether every tracked run has finished, sleeps on this clock, or waited long enough."""
        self._runs = {t: until for t, until in self._runs.items() if not t.done()}
        return all(now >= until or self._asleep(t) for t, until in self._runs.items())

    def _asleep(self, task: asyncio.Task[object]) -> bool:
        """Whether ``task`` waits on this clock (and no interrupt is about to wake it)."""
        return any(
            owner is task and not f.done() and (interrupt is None or not interrupt.is_set())
            for f, (owner, interrupt) in self._owners.items()
        )

    async def settle(self) -> None:
        """Wait until every task that ever slept on this clock is asleep again or finished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settle_timeout
        while True:
            self._tasks = {t for t in self._tasks if not t.done()}
            if all(self._asleep(t) for t in self._tasks) and self._runs_settled(loop.time()):
                # one more turn lets just-woken callbacks run before we call it settled
                await asyncio.sleep(0)
                if all(self._asleep(t) for t in self._tasks if not t.done()):
                    return
            if loop.time() > deadline:
                raise TimeoutError("FakeClock.settle: a task neither slept again nor finished")
            await asyncio.sleep(0.0005)

    async def advance(self, delta: timedelta | float) -> None:
        """Move time forward by ``delta`` (seconds or a timedelta), waking sleepers on the way."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("FakeClock.advance: time only moves forward")
        await self.advance_to(self._now + step)

    async def advance_to(self, when: datetime) -> None:
        """Move time forward to ``when``, waking each sleeper at its own deadline."""
        target = when.astimezone(UTC)
        await self.settle()
        while True:
            self._drop_cancelled()
            if not self._sleepers or self._sleepers[0][0] > target:
                break
            deadline = self._sleepers[0][0]
            self._now = max(self._now, deadline)
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
            await self.settle()
        self._now = max(self._now, target)
        await self.settle()

    def _drop_cancelled(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()})"
