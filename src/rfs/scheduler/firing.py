"""Executing one fire: build the event, run the target, count and log failures."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from rfs.monitoring import hook
from rfs.monitoring.context import correlation_scope
from rfs.scheduler.entry import Entry
from rfs.scheduler.targets import (
    FIRE_ID_HEADER,
    FireContext,
    PipelineRunError,
    Publisher,
    RunRefused,
)

log = logging.getLogger("rfs.scheduler")


class Firing:
    """Runs fires for the scheduler; background targets (pipeline runs) are tracked tasks."""

    def __init__(
        self,
        publisher: Publisher | None,
        *,
        track: Callable[[asyncio.Task[Any]], None] | None = None,
    ) -> None:
        self.publisher = publisher
        self.inflight: set[asyncio.Task[None]] = set()
        self._track = track

    async def execute(
        self, entry: Entry, context: FireContext, argument: Any, *, mark_fired: bool
    ) -> str | None:
        """``_execute`` under the fire's correlation id (the source event's, else the fire id)."""
        cid = getattr(context.source_event, "correlation_id", None) or context.fire_id
        started = time.perf_counter()
        with correlation_scope(cid):
            error = await self._execute(entry, context, argument, mark_fired=mark_fired)
        ms = (time.perf_counter() - started) * 1000.0
        hook.report(f"scheduler.fire.{entry.name}", error is None, ms, error, "scheduler")
        return error

    async def _execute(
        self, entry: Entry, context: FireContext, argument: Any, *, mark_fired: bool
    ) -> str | None:
        """Build the event and run the target; an exception is logged and returned as text.

        ``mark_fired`` sets the entry's last fire time to ``context.fired_at`` once the fire ran
        (scheduled fires record their scheduled time themselves).
        """
        try:
            event = await self._make_event(entry, context, argument)
            if event is None:
                log.debug("trigger %r: event factory returned None, nothing fired", entry.name)
                return None
            if entry.target.background:
                task = asyncio.create_task(self._run_background(entry, context, event))
                self.inflight.add(task)
                task.add_done_callback(self.inflight.discard)
                if self._track is not None:
                    self._track(task)
            else:
                await entry.target.run(context, event, self.publisher)
                entry.fires += 1
            if mark_fired:
                entry.last_fired = context.fired_at
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return self._failed(entry, context, exc)
        return None

    async def drain(self) -> None:
        """Wait until the background runs started so far have finished."""
        while self.inflight:
            await asyncio.gather(*set(self.inflight), return_exceptions=True)

    async def stop(self, timeout: float | None) -> None:  # noqa: ASYNC109
        """Wait up to ``timeout`` for background runs, then cancel the rest."""
        if not self.inflight:
            return
        _, pending = await asyncio.wait(set(self.inflight), timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _run_background(self, entry: Entry, context: FireContext, event: Any) -> None:
        try:
            await entry.target.run(context, event, self.publisher)
            entry.fires += 1
        except Exception as exc:
            self._failed(entry, context, exc)

    def _failed(self, entry: Entry, context: FireContext, exc: Exception) -> str:
        message = f"{type(exc).__name__}: {exc}"
        entry.failures += 1
        entry.last_error = message
        # an expected outcome (a refused overlap, a run that returned Failure) is one line; a
        # traceback is kept for what is a bug (an exception from the target itself)
        log.log(
            logging.WARNING if isinstance(exc, RunRefused) else logging.ERROR,
            "trigger %r fire at %s failed: %s",
            entry.name,
            context.scheduled_time.isoformat(),
            message,
            exc_info=None if isinstance(exc, PipelineRunError) else exc,
        )
        return message

    async def _make_event(self, entry: Entry, context: FireContext, argument: Any) -> Any:
        trigger = entry.trigger
        factory = trigger.event_factory
        if factory is None:
            event = default_event(entry, context)
        else:
            event = factory(argument) if trigger.factory_takes_argument else factory()
            if inspect.isawaitable(event):
                event = await event
        headers = getattr(event, "headers", None)
        if isinstance(headers, dict):
            headers.setdefault(FIRE_ID_HEADER, context.fire_id)
        return event


def default_event(entry: Entry, context: FireContext) -> Any:
    """The event published without a factory; its id is the fire id (an idempotency key)."""
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
