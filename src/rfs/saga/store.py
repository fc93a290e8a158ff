"""The saga log port, the in-memory log used when no durable log is configured, and the
log that keeps nothing (a code-form transaction living in one process)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from rfs.saga.errors import ExecutionExists, OwnershipLost
from rfs.saga.records import ACTIVE_STATUSES, ExecutionRecord, LogEvent, SagaStatus

UNSET: Any = object()


@runtime_checkable
class SagaStore(Protocol):
    """Where executions and their transitions are written; every write is one transaction."""

    @property
    def durable(self) -> bool:
        """Whether executions survive the process (and can be recovered by another)."""
        ...

    async def start(
        self,
        execution_id: str,
        saga_name: str,
        context: Any,
        owner: str,
        lease_until: float,
        events: Sequence[LogEvent],
    ) -> None:
        """Insert a new execution (status RUNNING); raise ExecutionExists if the id is taken."""
        ...

    async def append(
        self,
        execution_id: str,
        owner: str,
        events: Sequence[LogEvent],
        *,
        lease_until: float,
        status: SagaStatus | None = None,
        context: Any = UNSET,
        error: str | None = None,
    ) -> None:
        """Append events and update the execution; raise OwnershipLost if not ``owner``'s."""
        ...

    async def load(self, execution_id: str) -> ExecutionRecord | None:
        """One execution with its events, or ``None``."""
        ...

    async def list(
        self,
        *,
        status: SagaStatus | Sequence[SagaStatus] | None = None,
        saga_name: str | None = None,
        limit: int = 100,
    ) -> list[ExecutionRecord]:
        """Executions, newest first, without their events."""
        ...

    async def claim(
        self, execution_id: str, old_owner: str, new_owner: str, lease_until: float
    ) -> bool:
        """Take an active execution over if ``old_owner`` still holds it (compare-and-set)."""
        ...


class MemorySagaLog:
    """A process-local log: no durability, no recovery across processes.

    It keeps every active execution and the last ``keep`` finished ones, so a long-running
    process does not grow without bound.
    """

    durable = False

    def __init__(self, *, keep: int = 1000) -> None:
        self._keep = keep
        self._records: OrderedDict[str, ExecutionRecord] = OrderedDict()
        self._finished: OrderedDict[str, None] = OrderedDict()

    async def start(
        self,
        execution_id: str,
        saga_name: str,
        context: Any,
        owner: str,
        lease_until: float,
        events: Sequence[LogEvent],
    ) -> None:
        if execution_id in self._records:
            raise ExecutionExists.of(execution_id)
        now = time.time()
        self._records[execution_id] = ExecutionRecord(
            execution_id,
            saga_name,
            SagaStatus.RUNNING,
            context,
            owner,
            lease_until,
            now,
            now,
            events=list(events),
        )

    async def append(
        self,
        execution_id: str,
        owner: str,
        events: Sequence[LogEvent],
        *,
        lease_until: float,
        status: SagaStatus | None = None,
        context: Any = UNSET,
        error: str | None = None,
    ) -> None:
        record = self._records.get(execution_id)
        if record is None or record.owner != owner:
            raise OwnershipLost.of(execution_id, owner)
        record.events.extend(events)
        record.lease_until = lease_until
        record.updated_at = time.time()
        if context is not UNSET:
            record.context = context
        if error is not None:
            record.error = error
        if status is not None:
            record.status = status
            if status.is_final:
                self._finished[execution_id] = None
                while len(self._finished) > self._keep:
                    old, _ = self._finished.popitem(last=False)
                    self._records.pop(old, None)

    async def load(self, execution_id: str) -> ExecutionRecord | None:
        return self._records.get(execution_id)

    async def list(
        self,
        *,
        status: SagaStatus | Sequence[SagaStatus] | None = None,
        saga_name: str | None = None,
        limit: int = 100,
    ) -> list[ExecutionRecord]:
        wanted = _statuses(status)
        found = [
            r
            for r in reversed(self._records.values())
            if (wanted is None or r.status in wanted)
            and (saga_name is None or r.saga_name == saga_name)
        ]
        return found[:limit]

    async def claim(
        self, execution_id: str, old_owner: str, new_owner: str, lease_until: float
    ) -> bool:
        record = self._records.get(execution_id)
        if record is None or record.owner != old_owner or record.status not in ACTIVE_STATUSES:
            return False
        record.owner = new_owner
        record.lease_until = lease_until
        return True


class UnloggedStore:
    """Keeps nothing: every write succeeds and is forgotten, nothing can be recovered."""

    durable = False

    async def start(
        self,
        execution_id: str,
        saga_name: str,
        context: Any,
        owner: str,
        lease_until: float,
        events: Sequence[LogEvent],
    ) -> None:
        return None

    async def append(self, execution_id: str, owner: str, events: Any, **values: Any) -> None:
        return None

    async def load(self, execution_id: str) -> ExecutionRecord | None:
        return None

    async def list(self, **filters: Any) -> list[ExecutionRecord]:
        return []

    async def claim(
        self, execution_id: str, old_owner: str, new_owner: str, lease_until: float
    ) -> bool:
        return False


UNLOGGED = UnloggedStore()


def _statuses(
    status: SagaStatus | Sequence[SagaStatus] | None,
) -> frozenset[SagaStatus] | None:
    if status is None:
        return None
    if isinstance(status, SagaStatus):
        return frozenset({status})
    return frozenset(SagaStatus(s) for s in status)
