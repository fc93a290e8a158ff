"""``Scheduler``: fires registered triggers on time, once, on the leader instance only."""

from __future__ import annotations

import asyncio
import builtins
import heapq
import inspect
import itertools
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rfs.result import Failure, Result, Success
from rfs.scheduler.clock import Clock, SystemClock
from rfs.scheduler.leader import LeaderLock
from rfs.scheduler.misfire import FirePlan, plan_fires
from rfs.scheduler.store import MemoryStateStore, StateStore, TriggerState
from rfs.scheduler.targets import (
    FIRE_ID_HEADER,
    FireContext,
    Publisher,
    PublishTarget,
    Target,
    event_fire_id,
    fire_id,
)
from rfs.scheduler.triggers import EventTrigger, ScheduleTrigger, Trigger

log = logging.getLogger("rfs.scheduler")

_IDLE = timedelta(days=1)  # how long the loop sleeps with nothing scheduled (woken on change)
_RETRY = timedelta(seconds=1)  # pause after an unexpected error in the loop


@dataclass(frozen=True)
class SchedulerError:
    """An expected failure of a scheduler call: ``code`` is ``not_found``, ``paused`` or
    ``fire_failed``."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class TriggerInfo:
    """One registered trigger as ``list()`` shows it."""

    name: str
    kind: str
    description: str
    target: str
    paused: bool
    next_fire_time: datetime | None
    last_fire_time: datetime | None
    fires: int
    failures: int
    last_error: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "target": self.target,
            "paused": self.paused,
            "next_fire_time": _iso(self.next_fire_time),
            "last_fire_time": _iso(self.last_fire_time),
            "fires": self.fires,
            "failures": self.failures,
            "last_error": self.last_error,
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class _Entry:
    __slots__ = (
        "consumer_task",
        "cursor",
        "failures",
        "fires",
        "fresh",
        "last_error",
        "last_fired",
        "name",
        "next_fire",
        "paused",
        "target",
        "topic",
        "trigger",
        "version",
    )

    def __init__(self, name: str, trigger: Trigger, target: Target, topic: str | None) -> None:
        self.name = name
        self.trigger = trigger
        self.target = target
        self.topic = topic
        self.paused = False
        self.cursor: datetime | None = None
        self.next_fire: datetime | None = None
        self.version = 0
        self.fires = 0
        self.fresh = True  # no stored state yet: counts from when firing starts
        self.failures = 0
        self.last_error: str | None = None
        self.last_fired: datetime | None = None
        self.consumer_task: asyncio.Task[None] | None = None

    def state(self) -> TriggerState:
        return TriggerState(self.name, self.cursor, self.next_fire, self.paused)


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
        self.publisher = publisher
        self.clock: Clock = clock or SystemClock()
        self.store: StateStore = store or MemoryStateStore()
        self.leader = leader
        self.batch = batch
        self.instance_id = instance_id or uuid.uuid4().hex[:12]
        self._entries: dict[str, _Entry] = {}
        self._heap: list[tuple[datetime, int, str, int]] = []
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._stored: dict[str, TriggerState] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._lead_task: asyncio.Task[None] | None = None
        self._running = False
        self._stopping = False
        self._leading = False
        self._needs_reload = False
        self._token = 0
        self._valid_until = 0.0

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
        entry = _Entry(name, trigger, target, topic)
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
        self._schedule(entry)
        if self.is_leader:
            await self._save([entry])
            if isinstance(trigger, EventTrigger):
                self._start_consumer(entry)
        self._changed.set()

    async def unregister_trigger(self, name: str, *, forget: bool = False) -> bool:
        """Remove a trigger (True if it was registered); ``forget`` also deletes its state."""
        entry = self._entries.pop(name, None)
        if entry is None:
            return False
        entry.version += 1
        await self._stop_consumer(entry)
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
            return Failure(_not_found(name))
        if entry.paused != paused:
            entry.paused = paused
            if not paused and isinstance(entry.trigger, ScheduleTrigger):
                now = self.clock.now()
                entry.cursor = max(entry.cursor, now) if entry.cursor else now
            self._schedule(entry)
            if self.is_leader:
                await self._save([entry])
            self._changed.set()
        return Success(self._info(entry))

    async def fire(self, name: str, payload: Any = None) -> Result[FireContext, SchedulerError]:
        """Fire ``name`` now, on this instance (manual and API triggers; any trigger works)."""
        entry = self._entries.get(name)
        if entry is None:
            return Failure(_not_found(name))
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
            fence=self._token,
        )
        error = await self._execute(entry, context, payload)
        if error is not None:
            return Failure(SchedulerError("fire_failed", error))
        return Success(context)

    # -- queries ---------------------------------------------------------------------------

    def list(self) -> list[TriggerInfo]:
        """Every registered trigger with its next fire time, sorted by name."""
        return [self._info(self._entries[name]) for name in sorted(self._entries)]

    def get(self, name: str) -> TriggerInfo | None:
        """One trigger's info, or None."""
        entry = self._entries.get(name)
        return None if entry is None else self._info(entry)

    def trigger(self, name: str) -> Trigger | None:
        """The registered trigger object, or None."""
        entry = self._entries.get(name)
        return None if entry is None else entry.trigger

    def _info(self, entry: _Entry) -> TriggerInfo:
        scheduled = isinstance(entry.trigger, ScheduleTrigger)
        return TriggerInfo(
            name=entry.name,
            kind=entry.trigger.kind,
            description=entry.trigger.describe(),
            target=repr(entry.target),
            paused=entry.paused,
            next_fire_time=None if entry.paused or not scheduled else entry.next_fire,
            last_fire_time=entry.last_fired,
            fires=entry.fires,
            failures=entry.failures,
            last_error=entry.last_error,
        )

    @property
    def running(self) -> bool:
        return self._running

    @property
    def is_leader(self) -> bool:
        """Whether this instance may fire now (always, without a leader lock, once started)."""
        if not self._running or self._stopping:
            return False
        if self.leader is None:
            return True
        return self._leading and time.monotonic() < self._valid_until

    @property
    def fencing_token(self) -> int:
        return self._token

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start firing (returns at once; the work runs in background tasks)."""
        if self._running:
            return
        self._running, self._stopping = True, False
        if self.leader is None:
            try:
                await self._elected(0)
                await self._reload()  # state is loaded before start() returns
            except BaseException:
                self._running = self._leading = False
                raise
        else:
            self._lead_task = asyncio.create_task(self._lead_loop(), name="rfs-scheduler-lead")
        self._loop_task = asyncio.create_task(self._run_loop(), name="rfs-scheduler-loop")

    async def stop(self, timeout: float | None = 30.0) -> None:  # noqa: ASYNC109
        """Stop gracefully: the fire in progress and background runs finish (up to ``timeout``)."""
        if not self._running:
            return
        self._stopping = True
        self._changed.set()
        if self._lead_task is not None:
            self._lead_task.cancel()
            await asyncio.gather(self._lead_task, return_exceptions=True)
        if self._loop_task is not None:
            await asyncio.gather(self._loop_task, return_exceptions=True)
        for entry in self._entries.values():
            await self._stop_consumer(entry)
        if self._inflight:
            _, pending = await asyncio.wait(set(self._inflight), timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.leader is not None and self._leading:
            try:
                await self.leader.release()
            except Exception:
                log.warning("scheduler %s: releasing the leader lock failed", self.instance_id)
        self._leading = False
        self._running = False
        self._loop_task = self._lead_task = None

    async def drain(self) -> None:
        """Wait until the background runs started so far (pipeline targets) have finished."""
        while self._inflight:
            await asyncio.gather(*set(self._inflight), return_exceptions=True)

    async def __aenter__(self) -> Scheduler:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- leadership ------------------------------------------------------------------------

    async def _elected(self, token: int) -> None:
        self._token = token
        self._leading = True
        self._needs_reload = True
        if self.leader is not None:
            log.info("scheduler %s is leader (fencing token %d)", self.instance_id, token)
        for entry in self._entries.values():
            if isinstance(entry.trigger, EventTrigger):
                self._start_consumer(entry)
        self._changed.set()

    async def _deposed(self, reason: str) -> None:
        if not self._leading:
            return
        self._leading = False
        log.warning("scheduler %s stops leading: %s", self.instance_id, reason)
        for entry in self._entries.values():
            await self._stop_consumer(entry)
        self._changed.set()

    async def _lead_loop(self) -> None:
        lock = self.leader
        assert lock is not None
        while not self._stopping:
            started = time.monotonic()
            if not self._leading:
                try:
                    token = await lock.acquire()
                except Exception as exc:
                    log.warning("scheduler %s: leader lock unavailable: %s", self.instance_id, exc)
                    token = None
                if token is not None:
                    self._valid_until = started + lock.lease * 0.9
                    await self._elected(token)
            else:
                try:
                    renewed = await lock.renew()
                except Exception as exc:
                    log.warning("scheduler %s: lease renewal failed: %s", self.instance_id, exc)
                    renewed = time.monotonic() < self._valid_until
                    started = self._valid_until - lock.lease * 0.9
                if renewed:
                    self._valid_until = started + lock.lease * 0.9
                else:
                    await self._deposed("the lease was lost")
            await asyncio.sleep(lock.renew_interval)

    # -- the loop --------------------------------------------------------------------------

    def _schedule(self, entry: _Entry) -> None:
        """Compute the entry's next fire time after its cursor and queue it."""
        trigger = entry.trigger
        if isinstance(trigger, ScheduleTrigger) and entry.cursor is not None:
            self._schedule_at(entry, trigger.next_fire_time(entry.cursor))
        else:
            entry.version += 1

    def _schedule_at(self, entry: _Entry, upcoming: datetime | None) -> None:
        """Queue the entry to fire at ``upcoming`` (None: it has no more fires)."""
        entry.version += 1
        trigger = entry.trigger
        if not isinstance(trigger, ScheduleTrigger):
            return
        entry.next_fire = upcoming
        if entry.next_fire is None or entry.paused:
            return
        wake = entry.next_fire
        if trigger.jitter:
            wake += timedelta(seconds=random.uniform(0, trigger.jitter.total_seconds()))  # nosec B311 # schedule jitter (not for security)
        heapq.heappush(self._heap, (wake, next(self._seq), entry.name, entry.version))

    def _live(self, item: tuple[datetime, int, str, int]) -> _Entry | None:
        entry = self._entries.get(item[2])
        if entry is None or entry.version != item[3] or entry.paused:
            return None
        return entry

    def _next_wake(self) -> datetime | None:
        while self._heap and self._live(self._heap[0]) is None:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def _pop_due(self, now: datetime) -> builtins.list[_Entry]:
        due: builtins.list[_Entry] = []
        while self._heap and self._heap[0][0] <= now:
            entry = self._live(heapq.heappop(self._heap))
            if entry is not None:
                due.append(entry)
        return due

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
                due = self._pop_due(now)
                if due:
                    await self._fire_due(due, now)
                    continue
                wake = self._next_wake() or now + _IDLE
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
                    self._schedule(entry)
                entry.fresh = False
                continue
            entry.fresh = False
            if (stored.cursor, stored.paused) == (entry.cursor, entry.paused):
                continue  # already scheduled from this state
            entry.paused = stored.paused
            if stored.cursor is not None:
                entry.cursor = stored.cursor
            self._schedule(entry)
        await self._save(list(self._entries.values()))

    async def _save(self, entries: builtins.list[_Entry]) -> bool:
        states = [e.state() for e in entries if isinstance(e.trigger, ScheduleTrigger)]
        if not states:
            return True
        outcome = await self.store.save(states, self._token)
        if isinstance(outcome, Failure):
            await self._deposed(str(outcome.error))
            return False
        return True

    async def _fire_due(self, due: builtins.list[_Entry], now: datetime) -> None:
        planned: builtins.list[tuple[_Entry, FirePlan]] = []
        for entry in due:
            trigger = entry.trigger
            assert isinstance(trigger, ScheduleTrigger) and entry.cursor is not None
            plan = plan_fires(
                trigger.next_fire_time,
                entry.cursor,
                now,
                trigger.misfire_policy,
                trigger.misfire_grace_time,
                self.batch,
                first=entry.next_fire,
            )
            if plan.misfired:
                log.warning(
                    "trigger %r missed fire times before %s (policy %s)",
                    entry.name,
                    (now - trigger.misfire_grace_time).isoformat(),
                    trigger.misfire_policy.value,
                )
            planned.append((entry, plan))
        if len(planned) == 1:
            await self._fire_plan(*planned[0], now)
        else:
            await asyncio.gather(*(self._fire_plan(e, p, now) for e, p in planned))
        for entry, plan in planned:
            if self._entries.get(entry.name) is entry:
                # the plan's upcoming time is right unless firing stopped part-way
                if entry.cursor == plan.cursor:
                    self._schedule_at(entry, plan.upcoming)
                else:
                    self._schedule(entry)
        await self._save([e for e, _ in planned if e.name in self._entries])

    async def _fire_plan(self, entry: _Entry, plan: FirePlan, now: datetime) -> None:
        for scheduled in plan.fire_times:
            if not self.is_leader or self._entries.get(entry.name) is not entry:
                return  # the lease ended: the next leader picks up from the stored cursor
            context = FireContext(
                trigger_name=entry.name,
                scheduled_time=scheduled,
                fired_at=self.clock.now(),
                fire_id=fire_id(entry.name, scheduled),
                topic=entry.topic,
                misfired=plan.misfired and scheduled < now - _grace(entry),
                fence=self._token,
            )
            await self._execute(entry, context, context)
            entry.cursor = entry.last_fired = scheduled
        entry.cursor = plan.cursor

    # -- executing a fire ------------------------------------------------------------------

    async def _execute(self, entry: _Entry, context: FireContext, argument: Any) -> str | None:
        """Build the event and run the target; an exception is logged, never raised."""
        try:
            event = await self._make_event(entry, context, argument)
            if event is None:
                log.debug("trigger %r: event factory returned None, nothing fired", entry.name)
                return None
            if entry.target.background:
                task = asyncio.create_task(self._run_background(entry, context, event))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            else:
                await entry.target.run(context, event, self.publisher)
                entry.fires += 1
            if not isinstance(entry.trigger, ScheduleTrigger):
                entry.last_fired = context.fired_at
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return self._failed(entry, context, exc)
        return None

    async def _run_background(self, entry: _Entry, context: FireContext, event: Any) -> None:
        try:
            await entry.target.run(context, event, self.publisher)
            entry.fires += 1
        except Exception as exc:
            self._failed(entry, context, exc)

    def _failed(self, entry: _Entry, context: FireContext, exc: Exception) -> str:
        message = f"{type(exc).__name__}: {exc}"
        entry.failures += 1
        entry.last_error = message
        log.error(
            "trigger %r fire at %s failed: %s",
            entry.name,
            context.scheduled_time.isoformat(),
            message,
            exc_info=exc,
        )
        return message

    async def _make_event(self, entry: _Entry, context: FireContext, argument: Any) -> Any:
        trigger = entry.trigger
        factory = trigger.event_factory
        if factory is None:
            event = _default_event(entry, context)
        else:
            event = factory(argument) if trigger.factory_takes_argument else factory()
            if inspect.isawaitable(event):
                event = await event
        headers = getattr(event, "headers", None)
        if isinstance(headers, dict):
            headers.setdefault(FIRE_ID_HEADER, context.fire_id)
        return event

    # -- event triggers --------------------------------------------------------------------

    def _start_consumer(self, entry: _Entry) -> None:
        if entry.consumer_task is None or entry.consumer_task.done():
            entry.consumer_task = asyncio.create_task(
                self._consume(entry), name=f"rfs-scheduler-event-{entry.name}"
            )

    async def _stop_consumer(self, entry: _Entry) -> None:
        task, entry.consumer_task = entry.consumer_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _consume(self, entry: _Entry) -> None:
        trigger = entry.trigger
        assert isinstance(trigger, EventTrigger)
        while not self._stopping:
            subscription: Any = None
            try:
                if trigger.group is None:
                    subscription = trigger.consumer.consume(trigger.source_topic)
                else:
                    subscription = trigger.consumer.consume(
                        trigger.source_topic, group=trigger.group
                    )
                async for source in subscription:
                    if entry.paused:
                        continue
                    context = FireContext(
                        trigger_name=entry.name,
                        scheduled_time=self.clock.now(),
                        fired_at=self.clock.now(),
                        fire_id=event_fire_id(entry.name, source),
                        topic=entry.topic,
                        source_event=source,
                        fence=self._token,
                    )
                    await self._execute(entry, context, source)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("trigger %r: consuming %r failed", entry.name, trigger.source_topic)
                await asyncio.sleep(1.0)
            finally:
                close = getattr(subscription, "close", None)
                if close is not None:
                    try:
                        await close()
                    except Exception:
                        log.debug("trigger %r: closing the subscription failed", entry.name)


def _grace(entry: _Entry) -> timedelta:
    trigger = entry.trigger
    return trigger.misfire_grace_time if isinstance(trigger, ScheduleTrigger) else timedelta(0)


def _not_found(name: str) -> SchedulerError:
    return SchedulerError("not_found", f"no trigger named {name!r}")


def _default_event(entry: _Entry, context: FireContext) -> Any:
    from rfs.events import Event

    if context.source_event is not None:
        source = context.source_event
        return Event(
            topic=entry.topic or "",
            data=getattr(source, "data", source),
            id=context.fire_id,
            correlation_id=getattr(source, "id", None),
        )
    return Event(
        topic=entry.topic or "",
        data={
            "trigger": entry.name,
            "scheduled_time": context.scheduled_time.isoformat(),
            "fired_at": context.fired_at.isoformat(),
            "payload": context.payload,
        },
        id=context.fire_id,
    )
