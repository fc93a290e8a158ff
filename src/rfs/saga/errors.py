"""The error value of a failed saga execution, and the programmer errors of the saga API."""

from __future__ import annotations

from dataclasses import dataclass

from rfs.saga.records import SagaStatus


class SagaDefinitionError(ValueError):
    """A saga was declared wrongly (duplicate step name, a non-callable action, ...)."""


class SagaLogError(RuntimeError):
    """The saga log could not be written or read; the execution stays recoverable."""

    @classmethod
    def cannot(cls, action: str, execution_id: str, cause: BaseException) -> SagaLogError:
        """The error for a failed write: ``action`` is "start" or "log"."""
        return cls(f"cannot {action} saga execution {execution_id!r}: {cause}")


class ContextNotSerializable(SagaLogError, TypeError):
    """The saga context cannot be written by the log's serializer (nothing was written)."""


class UnreadableRecord(SagaLogError):
    """A record in the saga log cannot be decoded (corrupt, foreign or tampered with).

    ``recover()`` reports such an execution in ``RecoveryReport.unreadable`` and goes on.
    """

    @classmethod
    def of(cls, execution_id: str, why: str) -> UnreadableRecord:
        return cls(f"saga execution {execution_id!r} is unreadable: {why}")


class TamperedRecord(UnreadableRecord):
    """A signed context whose signature does not match: it was not written with this key."""


class ExecutionExists(SagaLogError):
    """An execution with this id is already in the log."""

    @classmethod
    def of(cls, execution_id: str) -> ExecutionExists:
        return cls(f"saga execution {execution_id!r} already exists")


class OwnershipLost(SagaLogError):
    """Another process took the execution over (its lease expired); this one stops acting."""

    @classmethod
    def of(cls, execution_id: str, owner: str) -> OwnershipLost:
        return cls(f"saga execution {execution_id!r} is no longer owned by {owner}")


@dataclass(frozen=True, slots=True)
class CompensationFailure:
    """A compensation that still failed after all its attempts."""

    step: str
    error: object
    attempts: int

    def __str__(self) -> str:
        return f"{self.step} ({self.attempts} attempts): {self.error}"


@dataclass(frozen=True, slots=True)
class SagaError:
    """Why an execution failed, what was undone, and which compensations failed.

    ``status`` is ``COMPENSATED`` when every completed step was undone, ``FAILED`` when some
    compensation still failed (listed in ``failed_compensations``, recorded in the log), and
    ``RUNNING``/``COMPENSATING`` when the log became unavailable: ``recover()`` finishes it.
    """

    saga: str
    execution_id: str
    step: str | None
    cause: object
    status: SagaStatus
    compensated: tuple[str, ...] = ()
    failed_compensations: tuple[CompensationFailure, ...] = ()

    @property
    def fully_compensated(self) -> bool:
        return self.status is SagaStatus.COMPENSATED

    def __str__(self) -> str:
        where = f"Saga failed at {self.step}" if self.step else f"Saga {self.saga} failed"
        text = f"{where}: {self.cause}"
        if self.failed_compensations:
            names = ", ".join(str(f) for f in self.failed_compensations)
            text += f"; compensations failed: {names}"
        return text
