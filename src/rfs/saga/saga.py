"""``Saga``: a named list of steps (a definition); each ``execute`` is a separate execution."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar, Unpack

from rfs.monitoring.context import correlation_scope
from rfs.result import Result
from rfs.saga import declared
from rfs.saga.definition import SagaDefinition, SagaOptions
from rfs.saga.engine import Execution
from rfs.saga.errors import SagaDefinitionError, SagaError
from rfs.saga.records import ExecutionRecord
from rfs.saga.step import SagaStep, StepFunction
from rfs.saga.store import SagaStore

F = TypeVar("F", bound=StepFunction)


class Saga(SagaDefinition):
    """A saga definition: steps run in order; on failure the completed ones are undone.

    A ``Saga`` holds no execution state, so one definition can run many executions at once.
    Each execution writes its transitions to ``log`` (default: :func:`rfs.saga.default_log`)
    before acting on them. The saga joins ``registry`` under ``name`` so that a recovering
    process that imported the same module can find its steps again.

    Example::

        saga = Saga("OrderProcessing")
        saga.add_step(name="reserve_inventory", action=reserve, compensate=release)
        saga.add_step(name="charge_payment", action=charge_card, compensate=refund_payment)
        result = await saga.execute(order_data)
    """

    def __init__(self, name: str, **options: Unpack[SagaOptions]) -> None:
        self.steps: list[SagaStep] = []
        super().__init__(name, **options)

    def __repr__(self) -> str:
        return f"Saga({self.name!r}, steps={[s.name for s in self.steps]})"

    def add_step(
        self,
        name: str,
        action: StepFunction,
        compensate: StepFunction | None = None,
        *,
        retries: int = 0,
        timeout: float | None = None,
        retry_backoff: float | None = None,
        compensation_retries: int | None = None,
        compensation_timeout: float | None = None,
    ) -> Saga:
        """Append a step; returns the saga so calls can be chained.

        ``action(context)`` (or ``action(context, step)`` to receive the
        :class:`~rfs.saga.StepContext` with the idempotency key) returns a Result; an
        exception or a Failure fails the step after ``retries`` more attempts, each limited
        to ``timeout`` seconds. ``compensate`` takes the same arguments and undoes the
        action; it is retried ``compensation_retries`` times (default: the saga's).
        """
        if any(step.name == name for step in self.steps):
            raise SagaDefinitionError(f"saga {self.name!r} already has a step named {name!r}")
        if not callable(action):
            raise SagaDefinitionError(f"step {name!r}: action must be callable, got {action!r}")
        if compensate is not None and not callable(compensate):
            raise SagaDefinitionError(
                f"step {name!r}: compensate must be callable or None, got {compensate!r}"
            )
        if retries < 0 or (timeout is not None and timeout <= 0):
            raise SagaDefinitionError(f"step {name!r}: retries >= 0 and timeout > 0 required")
        self.steps.append(
            SagaStep(
                name,
                action,
                compensate,
                retries=retries,
                timeout=timeout,
                retry_backoff=self.retry_backoff if retry_backoff is None else retry_backoff,
                compensation_retries=(
                    self.compensation_retries
                    if compensation_retries is None
                    else compensation_retries
                ),
                compensation_timeout=(
                    self.compensation_timeout
                    if compensation_timeout is None
                    else compensation_timeout
                ),
            )
        )
        return self

    def step(
        self,
        name: str | None = None,
        *,
        compensate: StepFunction | None = None,
        retries: int = 0,
        timeout: float | None = None,
    ) -> Callable[[F], F]:
        """Decorator form of :meth:`add_step` (the step is named after the function)."""

        def decorate(fn: F) -> F:
            self.add_step(name or fn.__name__, fn, compensate, retries=retries, timeout=timeout)
            return fn

        return decorate

    def matches_record(self, record: ExecutionRecord) -> bool:
        """Whether every step the log names is still at the same place in this definition."""
        names = [step.name for step in self.steps]
        return all(
            e.index is None or (e.index < len(names) and names[e.index] == e.step)
            for e in record.events
        )

    def _execution(self, store: SagaStore, execution_id: str, context: Any) -> Execution:
        return Execution(self.name, self.lease, store, execution_id, context, self.steps)

    async def resume_execution(
        self, store: SagaStore, record: ExecutionRecord
    ) -> Result[Any, SagaError]:
        """Drive a claimed, interrupted execution to a final state (used by recovery)."""
        return await declared.resume(self._execution(store, record.id, record.context), record)

    async def execute(
        self,
        context: Any = None,
        *,
        execution_id: str | None = None,
        log: SagaStore | None = None,
    ) -> Result[Any, SagaError]:
        """Run a new execution; ``Success(context)`` or ``Failure(SagaError)``.

        ``execution_id`` (default: a new uuid) names the execution in the log and prefixes
        each step's idempotency key. Executing again with the id of a logged execution does
        not run it twice: a finished one returns its recorded outcome (errors as text), one
        still running returns a Failure saying so.
        """
        execution = self._execution(self._store(log), execution_id or uuid.uuid4().hex, context)
        with correlation_scope():  # the caller's id, or a new one logged with the execution
            return await declared.start(execution)
