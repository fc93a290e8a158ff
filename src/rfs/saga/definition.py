"""What every saga definition shares: its name, log, lease and compensation policy."""

from __future__ import annotations

from typing import Any, TypedDict

from rfs.result import Result
from rfs.saga.config import default_log
from rfs.saga.errors import SagaDefinitionError, SagaError
from rfs.saga.records import ExecutionRecord
from rfs.saga.registry import SagaRegistry, get_saga_registry
from rfs.saga.store import SagaStore


class SagaOptions(TypedDict, total=False):
    """The options every saga definition takes (see :class:`SagaDefinition`)."""

    log: SagaStore | None
    registry: SagaRegistry | None
    compensation_retries: int
    retry_backoff: float
    lease: float
    compensation_timeout: float | None


class SagaDefinition:
    """A named saga joined to ``registry``, so a recovering process finds its code again.

    ``log`` (default: :func:`rfs.saga.default_log` at each execution) receives every
    transition; ``lease`` is how long an execution stays owned without a write;
    ``compensation_retries``/``retry_backoff``/``compensation_timeout`` are the defaults of
    each compensation (retried with ``retry_backoff`` doubling).
    """

    def __init__(
        self,
        name: str,
        *,
        log: SagaStore | None = None,
        registry: SagaRegistry | None = None,
        compensation_retries: int = 3,
        retry_backoff: float = 0.05,
        lease: float = 30.0,
        compensation_timeout: float | None = None,
    ) -> None:
        if not name:
            raise SagaDefinitionError("a saga needs a non-empty name")
        if lease <= 0:
            raise SagaDefinitionError(f"lease must be positive seconds, got {lease!r}")
        self.name = name
        self.log = log
        self.compensation_retries = compensation_retries
        self.retry_backoff = retry_backoff
        self.lease = lease
        self.compensation_timeout = compensation_timeout
        (registry if registry is not None else get_saga_registry()).register(self)

    def _store(self, log: SagaStore | None) -> SagaStore:
        if log is not None:
            return log
        if self.log is not None:
            return self.log
        return default_log()

    def matches_record(self, record: ExecutionRecord) -> bool:
        """Whether this definition can drive ``record`` (its logged steps are still here)."""
        raise NotImplementedError

    async def resume_execution(
        self, store: SagaStore, record: ExecutionRecord
    ) -> Result[Any, SagaError]:
        """Drive a claimed, interrupted execution to a final state (used by recovery)."""
        raise NotImplementedError
