"""What a fire does: publish an event on a topic (default) or start a pipeline run."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from rfs.events.ports import Publisher as Publisher  # the one port; old path kept

FIRE_ID_HEADER = "rfs-fire-id"


@dataclass(frozen=True)
class FireContext:
    """One fire: which trigger, its scheduled time, when it ran, and what came with it.

    ``fire_id`` is the same for the same trigger and scheduled time on every instance, so a
    consumer can drop the duplicate a leader killed between publishing and recording may leave.
    """

    trigger_name: str
    scheduled_time: datetime
    fired_at: datetime
    fire_id: str
    topic: str | None = None
    payload: Any = None
    source_event: Any = None
    misfired: bool = False
    fence: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def fire_id(name: str, scheduled_time: datetime) -> str:
    """A deterministic id for a scheduled fire (uuid5 hex)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"rfs-fire:{name}@{scheduled_time.isoformat()}").hex


def event_fire_id(name: str, source: Any) -> str:
    """A deterministic id for the fire an event trigger makes from ``source``."""
    ident = getattr(source, "id", None) or uuid.uuid4().hex
    return uuid.uuid5(uuid.NAMESPACE_URL, f"rfs-fire:{name}<-{ident}").hex


@runtime_checkable
class Target(Protocol):
    """Runs a fire. ``background`` targets run as tasks that ``stop()`` waits for."""

    background: bool

    async def run(self, context: FireContext, event: Any, publisher: Publisher | None) -> None:
        """Do the fire's work; raise to report a failure (the scheduler logs it)."""
        ...


class PublishError(RuntimeError):
    """The publisher refused the event (its Failure, as an exception for the log)."""


class PublishTarget:
    """Publish the fire's event on ``topic`` with the scheduler's publisher."""

    background = False

    def __init__(self, topic: str) -> None:
        self.topic = topic

    async def run(self, context: FireContext, event: Any, publisher: Publisher | None) -> None:
        if publisher is None:
            raise RuntimeError(
                f"trigger {context.trigger_name!r} publishes to {self.topic!r} but the "
                "Scheduler has no publisher: pass Scheduler(publisher)"
            )
        outcome = await publisher.publish(self.topic, event)
        is_failure = getattr(outcome, "is_failure", None)
        if callable(is_failure) and is_failure():
            raise PublishError(
                f"publish to {self.topic!r} failed: {getattr(outcome, 'error', outcome)}"
            )

    def __repr__(self) -> str:
        return f"PublishTarget({self.topic!r})"


class PipelineTarget:
    """Start ``rfs.pipeline.run_pipeline(tags=..., targets=..., **options)`` for each fire.

    The run goes on in the background; ``Scheduler.stop()`` waits for it. A ``Failure`` from
    the run is raised as ``PipelineRunError`` so the scheduler logs it. When ``max_running``
    runs started by this target are still going, a new fire is refused (``RunRefused``, logged
    as one warning line) rather than starting an overlapping run. Under a ``FakeClock`` no fire
    is refused for a run that real time has not finished yet: ``clock.advance`` waits for the
    runs its fires started before it moves past the next deadline.
    """

    background = True

    def __init__(
        self,
        tags: Sequence[str] | None = None,
        targets: Sequence[str] | None = None,
        *,
        max_running: int = 1,
        **options: Any,
    ) -> None:
        if not tags and not targets:
            raise ValueError("PipelineTarget needs tags=[...] or targets=[...]")
        if max_running < 1:
            raise ValueError("max_running must be at least 1")
        self.tags = list(tags) if tags else None
        self.targets = list(targets) if targets else None
        self.max_running = max_running
        self.running = 0
        self.options = options

    async def run(self, context: FireContext, event: Any, publisher: Publisher | None) -> None:
        if self.running >= self.max_running:
            raise RunRefused(
                f"trigger {context.trigger_name!r}: not started, {self.running} run(s) "
                f"still going (max_running={self.max_running}; raise it to allow overlaps)"
            )
        self.running += 1
        try:
            await self._run(context)
        finally:
            self.running -= 1

    async def _run(self, context: FireContext) -> None:
        from rfs.pipeline import run_pipeline  # imported on first fire: pipelines are optional

        kwargs: dict[str, Any] = dict(self.options)
        if self.tags is not None:
            kwargs["tags"] = self.tags
        if self.targets is not None:
            kwargs["targets"] = self.targets
        outcome = await run_pipeline(**kwargs)
        is_failure = getattr(outcome, "is_failure", None)
        if callable(is_failure) and is_failure():
            error = getattr(outcome, "error", outcome)
            raise PipelineRunError(f"pipeline run for trigger {context.trigger_name!r}: {error}")

    def __repr__(self) -> str:
        return f"PipelineTarget(tags={self.tags!r}, targets={self.targets!r})"


class PipelineRunError(RuntimeError):
    """A pipeline run started by a trigger returned Failure (or was refused)."""


class RunRefused(PipelineRunError):
    """A fire not started because ``max_running`` runs of its target are still going."""
