"""The timing queue: a heap of wake times, one live item per scheduled trigger.

Rescheduling pushes a new item and bumps the entry's version; stale items are dropped when
they reach the top, so an idle tick only looks at the heap's first item.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping
from datetime import datetime

from rfs.scheduler.entry import Entry

_Item = tuple[datetime, int, str, int]


class TimingQueue:
    """Entries by wake time; ``entries`` is the scheduler's name -> entry mapping."""

    __slots__ = ("_entries", "_heap", "_seq")

    def __init__(self, entries: Mapping[str, Entry]) -> None:
        self._entries = entries
        self._heap: list[_Item] = []
        self._seq = itertools.count()

    def reschedule(self, entry: Entry) -> None:
        """Queue ``entry`` at its next fire time after its cursor (none without a schedule)."""
        upcoming = None
        if entry.cursor is not None:
            upcoming = entry.trigger.next_fire_time(entry.cursor)
        self.schedule_at(entry, upcoming)

    def schedule_at(self, entry: Entry, upcoming: datetime | None) -> None:
        """Queue ``entry`` to fire at ``upcoming`` (None: it has no more fires)."""
        entry.version += 1
        entry.next_fire = upcoming
        if upcoming is None or entry.paused:
            return
        wake = entry.trigger.wake_time(upcoming)
        heapq.heappush(self._heap, (wake, next(self._seq), entry.name, entry.version))

    def _live(self, item: _Item) -> Entry | None:
        entry = self._entries.get(item[2])
        if entry is None or entry.version != item[3] or entry.paused:
            return None
        return entry

    def next_wake(self) -> datetime | None:
        """The earliest wake time of a live item, or None when nothing is queued."""
        heap = self._heap
        while heap and self._live(heap[0]) is None:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now: datetime) -> list[Entry]:
        """Remove and return the entries whose wake time is at or before ``now``."""
        heap = self._heap
        due: list[Entry] = []
        while heap and heap[0][0] <= now:
            entry = self._live(heapq.heappop(heap))
            if entry is not None:
                due.append(entry)
        return due
