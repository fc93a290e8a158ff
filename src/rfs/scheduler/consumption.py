"""Event consumption: one task per event-driven trigger, running while this instance leads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rfs.scheduler.entry import Entry
from rfs.scheduler.firing import Firing
from rfs.scheduler.targets import FireContext, event_fire_id

log = logging.getLogger("rfs.scheduler")

_RESUBSCRIBE = 1.0  # seconds to wait after a subscription failed


class EventConsumption:
    """Starts and stops the consumer tasks of triggers that have an event ``source()``."""

    def __init__(
        self,
        firing: Firing,
        now: Callable[[], datetime],
        token: Callable[[], int],
        stopping: Callable[[], bool],
    ) -> None:
        self._firing = firing
        self._now = now
        self._token = token
        self._stopping = stopping

    def start(self, entry: Entry) -> None:
        """Consume the entry's source events (nothing for a trigger without a source)."""
        if entry.trigger.source() is None:
            return
        if entry.consumer_task is None or entry.consumer_task.done():
            entry.consumer_task = asyncio.create_task(
                self._consume(entry), name=f"rfs-scheduler-event-{entry.name}"
            )

    async def stop(self, entry: Entry) -> None:
        """Cancel the entry's consumer task and wait for it to close its subscription."""
        task, entry.consumer_task = entry.consumer_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _consume(self, entry: Entry) -> None:
        source = entry.trigger.source()
        assert source is not None  # start() checked
        while not self._stopping():
            subscription: Any = None
            try:
                subscription = source.open()
                async for event in subscription:
                    if entry.paused:
                        continue
                    await self._fire(entry, event)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("trigger %r: consuming %r failed", entry.name, source.source_topic)
                await asyncio.sleep(_RESUBSCRIBE)
            finally:
                await _close(entry, subscription)

    async def _fire(self, entry: Entry, event: Any) -> None:
        now = self._now()
        context = FireContext(
            trigger_name=entry.name,
            scheduled_time=now,
            fired_at=now,
            fire_id=event_fire_id(entry.name, event),
            topic=entry.topic,
            source_event=event,
            fence=self._token(),
        )
        await self._firing.execute(entry, context, event, mark_fired=True)


async def _close(entry: Entry, subscription: Any) -> None:
    close = getattr(subscription, "close", None)
    if close is None:
        return
    try:
        await close()
    except Exception:
        log.debug("trigger %r: closing the subscription failed", entry.name)
