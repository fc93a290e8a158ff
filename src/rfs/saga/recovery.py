"""Finding executions interrupted by a crash and driving each to a final state."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from rfs.monitoring.context import correlation_scope
from rfs.result import Failure, Result, Success
from rfs.saga.errors import SagaError, SagaLogError, UnreadableRecord
from rfs.saga.owner import owner_is_dead, process_owner
from rfs.saga.records import ACTIVE_STATUSES, ExecutionRecord, SagaStatus
from rfs.saga.registry import SagaRegistry, get_saga_registry
from rfs.saga.store import SagaStore


@dataclass
class RecoveryReport:
    """What one ``recover()`` pass did.

    ``results`` maps each recovered execution id to its final Result; ``unknown`` lists
    executions whose saga is not registered in this process (import its module);
    ``busy`` lists executions another live process still holds; ``mismatched`` those whose
    logged steps the registered saga no longer has (its definition changed): left as they are;
    ``unreadable`` those whose record cannot be decoded (``reasons`` says why, by id).
    """

    results: dict[str, Result[Any, SagaError]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def completed(self) -> list[str]:
        return [i for i, r in self.results.items() if r.is_success()]

    @property
    def compensated(self) -> list[str]:
        return [
            i
            for i, r in self.results.items()
            if isinstance(r, Failure) and r.error.status is SagaStatus.COMPENSATED
        ]

    @property
    def failed(self) -> list[str]:
        """Recovered but not completed or compensated (failed compensations): need a person."""
        done = set(self.completed) | set(self.compensated)
        return [i for i in self.results if i not in done]


def is_interrupted(record: ExecutionRecord, now: float) -> bool:
    """Active, and its owner is dead on this host or its lease has run out."""
    if record.status not in ACTIVE_STATUSES:
        return False
    return record.lease_until < now or owner_is_dead(record.owner)


async def recover(
    store: SagaStore,
    registry: SagaRegistry | None = None,
    *,
    concurrency: int = 16,
    limit: int = 10_000,
) -> Result[RecoveryReport, SagaLogError]:
    """One recovery pass over ``store`` (see :meth:`rfs.saga.SagaLog.recover`)."""
    registry = registry if registry is not None else get_saga_registry()
    report = RecoveryReport()
    try:
        active = await store.list(status=ACTIVE_STATUSES, limit=limit)
    except SagaLogError as exc:
        return Failure(exc)
    now = time.time()
    gate = asyncio.Semaphore(concurrency)
    me = process_owner()

    async def one(record: ExecutionRecord) -> None:
        saga = registry.get(record.saga_name)
        if saga is None:
            report.unknown.append(record.id)
            return
        async with gate:
            claimed = await store.claim(record.id, record.owner, me, time.time() + saga.lease)
            if not claimed:
                report.busy.append(record.id)
                return
            try:
                full = await store.load(record.id)
                if full is None:  # deleted under us
                    return
                full.owner = me
                if not saga.matches_record(full):
                    report.mismatched.append(record.id)
                    return
                with correlation_scope(full.correlation_id):  # the id it started under
                    report.results[record.id] = await saga.resume_execution(store, full)
            except UnreadableRecord as exc:
                report.unreadable.append(record.id)
                report.reasons[record.id] = str(exc)

    pending = []
    for record in active:
        if record.unreadable is not None:
            report.unreadable.append(record.id)
            report.reasons[record.id] = record.unreadable
        elif is_interrupted(record, now):
            pending.append(one(record))
        else:
            report.busy.append(record.id)
    outcomes = await asyncio.gather(*pending, return_exceptions=True)
    log_errors: list[SagaLogError] = []
    for outcome in outcomes:
        if isinstance(outcome, SagaLogError):
            log_errors.append(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome  # a bug, not a database problem
    if log_errors:
        return Failure(log_errors[0])
    return Success(report)


async def watch(
    store: SagaStore,
    registry: SagaRegistry | None = None,
    *,
    interval: float = 0.5,
    stop: asyncio.Event | None = None,
) -> None:
    """Recover every ``interval`` seconds until ``stop`` is set (log errors are retried)."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        await recover(store, registry)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
