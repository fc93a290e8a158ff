"""What a saga log holds: execution statuses, log events and execution records."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SagaStatus(StrEnum):
    """Where an execution stands; the last three are final."""

    RUNNING = "running"
    COMPENSATING = "compensating"
    COMPLETED = "completed"
    COMPENSATED = "compensated"
    FAILED = "failed"  # a compensation still failed after its retries: needs a person

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({SagaStatus.COMPLETED, SagaStatus.COMPENSATED, SagaStatus.FAILED})
ACTIVE_STATUSES = (SagaStatus.RUNNING, SagaStatus.COMPENSATING)


class EventKind(StrEnum):
    """One transition of an execution, written before the engine acts on it."""

    SAGA_STARTED = "saga_started"
    STEP_STARTED = "step_started"
    STEP_SUCCEEDED = "step_succeeded"
    STEP_FAILED = "step_failed"
    STEP_ATTEMPT_FAILED = "step_attempt_failed"  # a failed attempt that will be retried
    COMPENSATION_STARTED = "compensation_started"
    COMPENSATION_SUCCEEDED = "compensation_succeeded"
    COMPENSATION_FAILED = "compensation_failed"
    SAGA_COMPLETED = "saga_completed"
    SAGA_COMPENSATED = "saga_compensated"
    SAGA_FAILED = "saga_failed"
    RECOVERED = "recovered"


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A row of the saga log: what happened to which step, and when."""

    kind: EventKind
    step: str | None = None
    index: int | None = None
    attempt: int = 0
    detail: str | None = None
    at: float = 0.0


#: ``detail`` of a ``saga_started`` event: this prefix, then the execution's correlation id
CORRELATION_PREFIX = "correlation_id="


@dataclass(slots=True)
class ExecutionRecord:
    """An execution as the log knows it; ``events`` is empty when listed without them.

    ``unreadable`` says why a listed row could not be decoded (then only its id and what
    could be read are set; loading it raises ``UnreadableRecord``).
    """

    id: str
    saga_name: str
    status: SagaStatus
    context: Any
    owner: str
    lease_until: float
    created_at: float
    updated_at: float
    error: str | None = None
    events: list[LogEvent] = field(default_factory=list)
    unreadable: str | None = None

    @property
    def correlation_id(self) -> str | None:
        """The correlation id the execution started under (kept in its ``saga_started`` row)."""
        for event in self.events:
            if event.kind is EventKind.SAGA_STARTED:
                detail = event.detail or ""
                if detail.startswith(CORRELATION_PREFIX):
                    return detail[len(CORRELATION_PREFIX) :] or None
                return None
        return None
