"""``Scheduler``: fires registered triggers on time, once, on the leader instance only.

The pieces live in modules of their own: the timing queue (``timing``), leadership
(``leadership``), event consumption (``consumption``) and executing a fire (``firing``). This
class registers triggers, runs the loop and keeps the state store in step with it.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from rfs.monitoring import hook
from rfs.result import Failure, Result, Success
from rfs.scheduler.clock import Clock, SystemClock
from rfs.scheduler.consumption import EventConsumption
from rfs.scheduler.entry import Entry, SchedulerError, TriggerInfo, not_found
from rfs.scheduler.firing import Firing
from rfs.scheduler.leader import LeaderLock
from rfs.scheduler.leadership import Leadership
from rfs.scheduler.misfire import FirePlan
from rfs.scheduler.store import MemoryStateStore, StateStore, TriggerState
from rfs.scheduler.targets import FireContext, Publisher, PublishTarget, Target, fire_id
from rfs.scheduler.timing import TimingQueue
from rfs.scheduler.triggers import Trigger

__all__ = ["Scheduler", "SchedulerError", "TriggerInfo"]

log = logging.getLogger("rfs.scheduler")

_IDLE = timedelta(days=1)  # how long the loop sleeps with nothing scheduled (woken on change)
_RETRY = timedelta(seconds=1)  # pause after an unexpected error in the loop


class Scheduler:
    """Fires triggers and publishes their events (or runs their targets).

    ``publisher`` receives ``publish(topic, event)`` for each fire. ``clock`` defaults to real
    time (pass a ``FakeClock`` in tests); ``store`` keeps fire times across restarts (memory by
    default, ``SQLStateStore`` to persist); ``leader`` is a ``LeaderLock`` when several instances
    run: only the holder fires scheduled and event triggers. ``batch`` bounds how many late
    fires of one trigger ``run_all`` catches up per loop turn.
    """

    def __init__(
        self,
        publisher: Publisher | None = None,
        *,
        clock: Clock | None = None,
        store: StateStore | None = None,
        leader: LeaderLock | None = None,
        batch: int = 100,
        instance_id: str | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.store: StateStore = store or MemoryStateStore()
        self.leader = leader
        self.batch = batch
        self.instance_id = instance_id or uuid.uuid4().hex[:12]
        self._entries: dict[str, Entry] = {}
        self._queue = TimingQueue(self._entries)
        # a clock that can wait for background runs (FakeClock.track) is told about each one
        self._firing = Firing(publisher, track=getattr(self.clock, "track", None))
        self._changed = asyncio.Event()
        self._leadership = Leadership(
            leader, self.instance_id, self._elected, self._deposed, self._changed.set
        )
        self._consumers = EventConsumption(
            self._firing,
            lambda: self.clock.now(),
            lambda: self._leadership.token,
            lambda: self._stopping,
        )
        self._stored: dict[str, TriggerState] | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._running = False
        self._stopping = False
        self._needs_reload = False

    @property
    def publisher(self) -> Publisher | None:
        """Where fires publish their events."""
        return self._firing.publisher

    @publisher.setter
    def publisher(self, publisher: Publisher | None) -> None:
        self._firing.publisher = publisher

    # -- registration ----------------------------------------------------------------------

    async def register_trigger(
        self,
        name: str,
        trigger: Trigger,
        topic: str | None = None,
        *,
        target: Target | None = None,
    ) -> None:
        """Register ``trigger`` under ``name``; its fires publish on ``topic`` or run ``target``.

        A duplicate name, a non-trigger, or neither topic nor target is a programmer error
        (``ValueError``/``TypeError``).
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"trigger name must be a non-empty string, got {name!r}")
        if name in self._entries:
            raise ValueError(
                f"trigger {name!r} is already registered; unregister_trigger({name!r}) first "
                "or choose another name"
            )
        if not isinstance(trigger, Trigger):
            raise TypeError(f"trigger {name!r}: expected a Trigger, got {type(trigger).__name__}")
        if target is None:
            if topic is None:
                raise ValueError(f"trigger {name!r} needs a topic to publish on, or a target=")
            target = PublishTarget(topic)
        entry = Entry(name, trigger, target, topic)
        entry.cursor = self.clock.now()
        if self._stored is None:
            self._stored = await self.store.load_all()
        stored = self._stored.get(name)
        if stored is not None:
            entry.fresh = False
            entry.paused = stored.paused
            if stored.cursor is not None:
                entry.cursor = stored.cursor
        self._entries[name] = entry
        self._queue.reschedule(entry)
        if self.is_leader:
            await self._save([entry])
            self._consumers.start(entry)
        self._changed.set()

    async def unregister_trigger(self, name: str, *, forget: bool = False) -> bool:
        """Remove a trigger (True if it was registered); ``forget`` also deletes its state."""
        entry = self._entries.pop(name, None)
        if entry is None:
            return False
        entry.version += 1
        await self._consumers.stop(entry)
        if forget:
            await self.store.delete(name)
        self._changed.set()
        return True

    # -- control ---------------------------------------------------------------------------

    async def pause(self, name: str) -> Result[TriggerInfo, SchedulerError]:
        """Stop firing ``name`` until ``resume`` (the pause is stored)."""
        return await self._set_paused(name, True)

    async def resume(self, name: str) -> Result[TriggerInfo, SchedulerError]:
        """Fire ``name`` again from now on; times passed while paused do not fire."""
        return await self._set_paused(name, False)

    async def _set_paused(self, name: str, paused: bool) -> Result[TriggerInfo, SchedulerError]:
        entry = self._entries.get(name)
        if entry is None:
            return Failure(not_found(name))
        if entry.paused != paused:
            entry.paused = paused
            if not paused:
                now = self.clock.now()
                entry.cursor = max(entry.cursor, now) if entry.cursor else now
            self._queue.reschedule(entry)
            if self.is_leader:
                await self._save([entry])
            self._changed.set()
        return Success(entry.info())

    async def fire(self, name: str, payload: Any = None) -> Result[FireContext, SchedulerError]:
        """Fire ``name`` now, on this instance (manual and API triggers; any trigger works)."""
        entry = self._entries.get(name)
        if entry is None:
            return Failure(not_found(name))
        if entry.paused:
            return Failure(SchedulerError("paused", f"trigger {name!r} is paused"))
        now = self.clock.now()
        context = FireContext(
            trigger_name=name,
            scheduled_time=now,
            fired_at=now,
            fire_id=uuid.uuid4().hex,
            topic=entry.topic,
            payload=payload,
            fence=self._leadership.token,
        )
        error = await self._firing.execute(entry, context, payload, mark_fired=True)
        if error is not None:
            return Failure(SchedulerError("fire_failed", error))
        return Success(context)

    # -- queries ---------------------------------------------------------------------------

    def list(self) -> list[TriggerInfo]:
        """Every registered trigger with its next fire time, sorted by name."""
        return [self._entries[name].info() for name in sorted(self._entries)]

    def get(self, name: str) -> TriggerInfo | None:
        """One trigger's info, or None."""
        entry = self._entries.get(name)
        return None if entry is None else entry.info()

    def trigger(self, name: str) -> Trigger | None:
        """The registered trigger object, or None."""
        entry = self._entries.get(name)
        return None if entry is None else entry.trigger

    @property
    def running(self) -> bool:
        return self._running

    @property
    def is_leader(self) -> bool:
        """Whether this instance may fire now (always, without a leader lock, once started)."""
        return self._running and not self._stopping and self._leadership.holds

    @property
    def fencing_token(self) -> int:
        return self._leadership.token

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start firing (returns at once; the work runs in background tasks)."""
        if self._running:
            return
        self._running, self._stopping = True, False
        if self.leader is None:
            try:
                await self._leadership.elect(0)
                await self._reload()  # state is loaded before start() returns
            except BaseException:
                self._running = False
                await self._leadership.release()
                raise
        else:
            self._leadership.start()
        self._loop_task = asyncio.create_task(self._run_loop(), name="rfs-scheduler-loop")

    async def stop(self, timeout: float | None = 30.0) -> None:  # noqa: ASYNC109
        """Stop gracefully: the fire in progress and background runs finish (up to ``timeout``)."""
        if not self._running:
            return
        self._stopping = True
        self._changed.set()
        await self._leadership.stop_contending()
        if self._loop_task is not None:
            await asyncio.gather(self._loop_task, return_exceptions=True)
        for entry in self._entries.values():
            await self._consumers.stop(entry)
        await self._firing.stop(timeout)
        await self._leadership.release()
        self._running = False
        self._loop_task = None

    async def drain(self) -> None:
        """Wait until the background runs started so far (pipeline targets) have finished."""
        await self._firing.drain()

    async def __aenter__(self) -> Scheduler:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- leadership callbacks --------------------------------------------------------------

    async def _elected(self) -> None:
        self._needs_reload = True
        for entry in self._entries.values():
            self._consumers.start(entry)
        self._changed.set()

    async def _deposed(self) -> None:
        for entry in self._entries.values():
            await self._consumers.stop(entry)
        self._changed.set()

    # -- the loop --------------------------------------------------------------------------

    async def _run_loop(self) -> None:
        while not self._stopping:
            self._changed.clear()
            try:
                if not self.is_leader:
                    await self.clock.sleep_until(self.clock.now() + _IDLE, self._changed)
                    continue
                if self._needs_reload:
                    await self._reload()
                now = self.clock.now()
                due = self._queue.pop_due(now)
                if due:
                    await self._fire_due(due, now)
                    continue
                wake = self._queue.next_wake() or now + _IDLE
                await self.clock.sleep_until(wake, self._changed)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler %s: loop error; retrying", self.instance_id)
                await self.clock.sleep_until(self.clock.now() + _RETRY, self._changed)

    async def _reload(self) -> None:
        """Adopt the stored state (another instance may have fired since we last led)."""
        self._stored = await self.store.load_all()
        self._needs_reload = False  # only once loaded: a failed load is retried by the loop
        now = self.clock.now()
        for entry in self._entries.values():
            stored = self._stored.get(entry.name)
            if stored is None:
                if entry.fresh and entry.cursor is not None and entry.cursor < now:
                    # registered before firing started: nothing is owed for that wait
                    entry.cursor = now
                    self._queue.reschedule(entry)
                entry.fresh = False
                continue
            entry.fresh = False
            if (stored.cursor, stored.paused) == (entry.cursor, entry.paused):
                continue  # already scheduled from this state
            entry.paused = stored.paused
            if stored.cursor is not None:
                entry.cursor = stored.cursor
            self._queue.reschedule(entry)
        await self._save(list(self._entries.values()))

    async def _save(self, entries: builtins.list[Entry]) -> bool:
        """Write the entries' state under our fencing token; a refusal deposes us."""
        states = [e.state() for e in entries if e.trigger.keeps_state]
        if not states:
            return True
        outcome = await self.store.save(states, self._leadership.token)
        if isinstance(outcome, Failure):
            await self._leadership.depose(str(outcome.error))
            return False
        return True

    async def _fire_due(self, due: builtins.list[Entry], now: datetime) -> None:
        planned: builtins.list[tuple[Entry, FirePlan]] = []
        for entry in due:
            trigger = entry.trigger
            assert entry.cursor is not None  # set at registration
            plan = trigger.plan(entry.cursor, now, self.batch, entry.next_fire)
            if plan.misfired:
                entry.misfires += 1
                entry.last_misfire = now
                log.warning(
                    "trigger %r missed fire times before %s (policy %s)",
                    entry.name,
                    (now - trigger.misfire_grace_time).isoformat(),
                    trigger.misfire_policy.value,
                )
                hook.report(f"scheduler.misfire.{entry.name}", False, 0.0, "misfired", "scheduler")
            planned.append((entry, plan))
        # with a leader lock, claim first: a fenced write before publishing, so an instance that
        # a newer leader replaced publishes nothing; the write after the fires records them
        if self.leader is not None and not await self._save(due):
            for entry in due:
                self._queue.reschedule(entry)  # fired once this instance leads again
            return
        if len(planned) == 1:
            await self._fire_plan(*planned[0], now)
        else:
            await asyncio.gather(*(self._fire_plan(e, p, now) for e, p in planned))
        for entry, plan in planned:
            if self._entries.get(entry.name) is entry:
                # the plan's upcoming time is right unless firing stopped part-way
                if entry.cursor == plan.cursor:
                    self._queue.schedule_at(entry, plan.upcoming)
                else:
                    self._queue.reschedule(entry)
        await self._save([e for e, _ in planned if e.name in self._entries])

    async def _fire_plan(self, entry: Entry, plan: FirePlan, now: datetime) -> None:
        late = now - entry.trigger.misfire_grace_time
        for scheduled in plan.fire_times:
            if not self.is_leader or self._entries.get(entry.name) is not entry:
                return  # the lease ended: the next leader picks up from the stored cursor
            context = FireContext(
                trigger_name=entry.name,
                scheduled_time=scheduled,
                fired_at=self.clock.now(),
                fire_id=fire_id(entry.name, scheduled),
                topic=entry.topic,
                misfired=plan.misfired and scheduled < late,
                fence=self._leadership.token,
            )
            await self._firing.execute(entry, context, context, mark_fired=False)
            entry.cursor = entry.last_fired = scheduled
        entry.cursor = plan.cursor
