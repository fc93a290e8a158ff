"""Misfire policies: what a trigger does with fire times that passed while nobody fired them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

_TICK = timedelta(microseconds=1)


class MisfirePolicy(StrEnum):
    """How fire times later than the grace time are handled (on-time fires always run).

    ``skip`` drops them, ``run_once`` runs one fire standing for all of them, ``run_all`` runs
    each of them in order.
    """

    SKIP = "skip"
    RUN_ONCE = "run_once"
    RUN_ALL = "run_all"


def parse_policy(policy: MisfirePolicy | str) -> MisfirePolicy:
    """A policy from its name; an unknown name raises ``ValueError`` listing the choices."""
    try:
        return MisfirePolicy(policy)
    except ValueError:
        choices = ", ".join(p.value for p in MisfirePolicy)
        raise ValueError(f"unknown misfire policy {policy!r}; choose one of {choices}") from None


@dataclass(frozen=True)
class FirePlan:
    """The fire times to run now, the new cursor, and whether late fire times were found.

    ``upcoming`` is the first fire time after ``cursor`` (None when the schedule ended).
    """

    fire_times: list[datetime]
    cursor: datetime
    upcoming: datetime | None
    misfired: bool = False
    skipped_until: datetime | None = field(default=None)


def plan_fires(
    next_after: Callable[[datetime], datetime | None],
    cursor: datetime,
    now: datetime,
    policy: MisfirePolicy,
    grace: timedelta,
    batch: int = 100,
    first: datetime | None = None,
) -> FirePlan:
    """Decide which scheduled times in ``(cursor, now]`` fire, per ``policy``.

    ``cursor`` is the last handled time: every scheduled time at or before it was fired or
    dropped; ``first`` is ``next_after(cursor)`` when the caller already knows it.
    ``run_all`` returns at most ``batch`` times; the caller comes back for the rest.
    """
    if first is None:
        first = next_after(cursor)
    if first is None or first > now:
        return FirePlan([], cursor, first)
    threshold = now - grace
    if first >= threshold or policy is MisfirePolicy.RUN_ALL:
        times, upcoming = _collect(next_after, first, now, batch)
        return FirePlan(times, times[-1], upcoming, misfired=first < threshold)
    # some fire times are later than the grace time
    boundary = threshold - _TICK
    on_time, upcoming = _collect(next_after, next_after(boundary), now, batch)
    if policy is MisfirePolicy.SKIP:
        cursor_after = on_time[-1] if on_time else max(cursor, boundary)
        return FirePlan(on_time, cursor_after, upcoming, misfired=True, skipped_until=boundary)
    # run_once: one fire, at the first missed time, stands for every missed one
    times = [first, *on_time]
    return FirePlan(times, on_time[-1] if on_time else boundary, upcoming, misfired=True)


def _collect(
    next_after: Callable[[datetime], datetime | None],
    start: datetime | None,
    now: datetime,
    batch: int,
) -> tuple[list[datetime], datetime | None]:
    """Times from ``start`` up to ``now`` (at most ``batch``), and the one after them."""
    times: list[datetime] = []
    current = start
    while current is not None and current <= now and len(times) < batch:
        times.append(current)
        current = next_after(current)
    return times, current
