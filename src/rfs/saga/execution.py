"""One execution of a saga: a state machine that logs each transition before acting on it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rfs.result import Failure, Result, Success
from rfs.saga.errors import (
    CompensationFailure,
    ContextNotSerializable,
    ExecutionExists,
    OwnershipLost,
    SagaError,
    SagaLogError,
)
from rfs.saga.records import EventKind, ExecutionRecord, LogEvent, SagaStatus
from rfs.saga.step import StepContext
from rfs.saga.store import UNSET, SagaStore

if TYPE_CHECKING:
    from rfs.saga.saga import Saga

_TOKEN = uuid.uuid4().hex[:8]
_HOST = socket.gethostname()
_MAX_BACKOFF = 30.0
_WRITE_ATTEMPTS = 3


def process_owner() -> str:
    """This process's owner id, ``host:pid:token`` (recomputed after a fork)."""
    return f"{_HOST}:{os.getpid()}:{_TOKEN}"


def owner_is_dead(owner: str) -> bool:
    """Whether ``owner`` is a process on this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner != process_owner()  # an earlier process that had our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _backoff(base: float, attempt: int) -> float:
    return float(min(base * (2 ** (attempt - 1)), _MAX_BACKOFF))


def _describe(error: object) -> str:
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return str(error)


class SagaExecution:
    """Runs (or resumes) one execution of ``saga`` against ``store``."""

    def __init__(self, saga: Saga, store: SagaStore, execution_id: str, context: Any) -> None:
        self.saga = saga
        self.store = store
        self.id = execution_id
        self.context = context
        self.owner = process_owner()
        self.status = SagaStatus.RUNNING
        self.completed: list[int] = []
        self.compensated: set[int] = set()
        self._heartbeat: asyncio.Task[None] | None = None

    # -- log writes -------------------------------------------------------------------------

    def _lease(self) -> float:
        return time.time() + self.saga.lease

    def _event(
        self,
        kind: EventKind,
        index: int | None = None,
        attempt: int = 0,
        detail: str | None = None,
    ) -> LogEvent:
        step = None if index is None else self._step_name(index)
        return LogEvent(kind, step, index, attempt, detail, time.time())

    async def _write(
        self,
        events: Sequence[LogEvent],
        *,
        status: SagaStatus | None = None,
        context: Any = UNSET,
        error: str | None = None,
    ) -> None:
        """Append ``events`` (one transaction); a dropped connection is retried twice."""
        for attempt in range(_WRITE_ATTEMPTS):
            try:
                await self.store.append(
                    self.id,
                    self.owner,
                    events,
                    lease_until=self._lease(),
                    status=status,
                    context=context,
                    error=error,
                )
                break
            except (OwnershipLost, ContextNotSerializable):
                raise
            except SagaLogError:
                if attempt + 1 == _WRITE_ATTEMPTS:
                    raise
                await asyncio.sleep(_backoff(0.05, attempt + 1))
        if status is not None:
            self.status = status

    def _abandoned(self, step: str | None, exc: BaseException) -> Failure[SagaError]:
        """The log failed: stop acting; the execution stays in the log for ``recover()``."""
        cause = SagaLogError(f"saga log unavailable, execution left for recover(): {exc}")
        cause.__cause__ = exc
        return Failure(
            SagaError(
                self.saga.name,
                self.id,
                step,
                cause,
                self.status,
                self._compensated_names(),
            )
        )

    def _compensated_names(self) -> tuple[str, ...]:
        order = [i for i in reversed(self.completed) if i in self.compensated]
        return tuple(self._step_name(i) for i in order)

    def _step_name(self, index: int) -> str:
        return self.saga.steps[index].name

    def _step_context(
        self, index: int, attempt: int, *, compensating: bool = False, recovering: bool = False
    ) -> StepContext:
        name = self.saga.steps[index].name
        key = f"{self.id}:{name}:compensate" if compensating else f"{self.id}:{name}"
        return StepContext(
            self.saga.name, self.id, name, index, attempt, key, compensating, recovering
        )

    # -- heartbeat --------------------------------------------------------------------------

    def _start_heartbeat(self) -> None:
        if self.store.durable and self._heartbeat is None:
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        interval = self.saga.lease / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self._write([])
            except SagaLogError:
                return
            except Exception:  # nosec B112 # transient error: the next heartbeat retries
                continue

    async def _stop_heartbeat(self) -> None:
        task, self._heartbeat = self._heartbeat, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- entry points -----------------------------------------------------------------------

    async def run(self) -> Result[Any, SagaError]:
        """Start a new execution: log it with its first step, then drive it."""
        events = [self._event(EventKind.SAGA_STARTED)]
        if self.saga.steps:
            events.append(self._event(EventKind.STEP_STARTED, 0, 1))
        else:
            events.append(self._event(EventKind.SAGA_COMPLETED))
        try:
            await self.store.start(
                self.id, self.saga.name, self.context, self.owner, self._lease(), events
            )
        except ContextNotSerializable:
            raise
        except ExecutionExists as exc:
            return await self._recorded_outcome(exc)
        except Exception as exc:
            return Failure(SagaError(self.saga.name, self.id, None, exc, SagaStatus.COMPENSATED))
        if not self.saga.steps:
            with contextlib.suppress(Exception):
                await self._write([], status=SagaStatus.COMPLETED)
            return Success(self.context)
        self._start_heartbeat()
        try:
            return await self._forward(0, 1, recovering=False)
        finally:
            await self._stop_heartbeat()

    async def _recorded_outcome(self, exists: ExecutionExists) -> Result[Any, SagaError]:
        """A repeated ``execute`` with a logged id: the first execution's outcome, not a rerun."""
        try:
            record = await self.store.load(self.id)
        except SagaLogError as exc:
            return Failure(SagaError(self.saga.name, self.id, None, exc, SagaStatus.RUNNING))
        if record is None or record.saga_name != self.saga.name:
            other = "" if record is None else f" by saga {record.saga_name!r}"
            cause = ExecutionExists(f"execution id {self.id!r} is already used{other}")
            return Failure(SagaError(self.saga.name, self.id, None, cause, SagaStatus.FAILED))
        if record.status is SagaStatus.COMPLETED:
            return Success(record.context)
        if not record.status.is_final:
            cause = ExecutionExists(f"saga execution {self.id!r} is still {record.status.value}")
            return Failure(SagaError(self.saga.name, self.id, None, cause, record.status))
        return Failure(error_from_record(self.saga, record))

    async def resume(self, record: ExecutionRecord) -> Result[Any, SagaError]:
        """Drive an execution taken over from a dead process to a final state."""
        self.context = record.context
        self.status = record.status
        started: dict[int, int] = {}
        failed: tuple[str | None, str] = (None, "interrupted")
        comp_attempts: dict[int, int] = {}
        for event in record.events:
            i = event.index
            if event.kind is EventKind.STEP_STARTED and i is not None:
                started[i] = event.attempt
            elif event.kind is EventKind.STEP_SUCCEEDED and i is not None:
                started.pop(i, None)
                if i not in self.completed:  # a retried write may have logged it twice
                    self.completed.append(i)
            elif event.kind is EventKind.STEP_FAILED:
                failed = (event.step, event.detail or "failed")
            elif event.kind is EventKind.COMPENSATION_STARTED and i is not None:
                comp_attempts[i] = event.attempt
            elif event.kind is EventKind.COMPENSATION_SUCCEEDED and i is not None:
                self.compensated.add(i)
        self._start_heartbeat()
        try:
            if record.status is SagaStatus.RUNNING:
                if started:
                    index = max(started)
                    attempt = started[index] + 1
                    await self._write(
                        [
                            self._event(EventKind.RECOVERED, detail=self.owner),
                            self._event(EventKind.STEP_STARTED, index, attempt, "recovered"),
                        ]
                    )
                    return await self._forward(index, attempt, recovering=True)
                if len(self.completed) == len(self.saga.steps):
                    await self._write(
                        [self._event(EventKind.SAGA_COMPLETED)], status=SagaStatus.COMPLETED
                    )
                    return Success(self.context)
                index = max(self.completed, default=-1) + 1
                await self._write([self._event(EventKind.STEP_STARTED, index, 1, "recovered")])
                return await self._forward(index, 1, recovering=True)
            await self._write([self._event(EventKind.RECOVERED, detail=self.owner)])
            return await self._compensate(failed[0], failed[1], comp_attempts)
        except SagaLogError as exc:
            return self._abandoned(failed[0], exc)
        finally:
            await self._stop_heartbeat()

    # -- forward ----------------------------------------------------------------------------

    async def _forward(
        self, index: int, attempt: int, *, recovering: bool
    ) -> Result[Any, SagaError]:
        """Run steps from ``index``; the log already says step ``index`` attempt ``attempt``."""
        steps = self.saga.steps
        while index < len(steps):
            step = steps[index]
            tries = 0
            while True:
                ctx = self._step_context(index, attempt, recovering=recovering)
                result = await step.action_callee.call(self.context, ctx, step.timeout)
                tries += 1
                if result.is_success() or tries > step.retries:
                    break
                await asyncio.sleep(_backoff(step.retry_backoff, tries))
                attempt += 1
                recovering = False
                try:
                    await self._write([self._event(EventKind.STEP_STARTED, index, attempt)])
                except Exception as exc:
                    return self._abandoned(step.name, exc)
            if isinstance(result, Failure):
                return await self._fail(index, attempt, result.error)
            self.completed.append(index)
            outcome = await self._log_success(index, attempt)
            if outcome is not None:
                return outcome
            index += 1
            attempt = 1
            recovering = False
        return Success(self.context)

    async def _log_success(self, index: int, attempt: int) -> Result[Any, SagaError] | None:
        """Log step ``index`` done and the next started (one write); a Result ends the run."""
        events = [self._event(EventKind.STEP_SUCCEEDED, index, attempt)]
        last = index + 1 == len(self.saga.steps)
        if last:
            events.append(self._event(EventKind.SAGA_COMPLETED))
        else:
            events.append(self._event(EventKind.STEP_STARTED, index + 1, 1))
        status = SagaStatus.COMPLETED if last else None
        try:
            await self._write(events, status=status, context=self.context)
        except ContextNotSerializable as exc:
            # The step ran, but its context can't be logged: undo it with the rest.
            return await self._fail(index, attempt, exc, succeeded=True)
        except Exception as exc:
            return self._abandoned(self.saga.steps[index].name, exc)
        return None

    async def _fail(
        self, index: int, attempt: int, error: object, *, succeeded: bool = False
    ) -> Result[Any, SagaError]:
        step = self.saga.steps[index]
        events = []
        if succeeded:
            events.append(self._event(EventKind.STEP_SUCCEEDED, index, attempt))
        events.append(self._event(EventKind.STEP_FAILED, index, attempt, _describe(error)))
        try:
            await self._write(events, status=SagaStatus.COMPENSATING, error=_describe(error))
        except Exception as exc:
            return self._abandoned(step.name, exc)
        try:
            return await self._compensate(step.name, error, {})
        except SagaLogError as exc:
            return self._abandoned(step.name, exc)

    # -- compensation -----------------------------------------------------------------------

    async def _compensate(
        self, failed_step: str | None, error: object, logged_attempts: dict[int, int]
    ) -> Result[Any, SagaError]:
        """Undo completed steps in reverse order, retrying each compensation with backoff."""
        failures: list[CompensationFailure] = []
        for index in reversed(self.completed):
            if index in self.compensated:
                continue
            step = self.saga.steps[index]
            callee = step.compensation_callee
            if callee is None:
                self.compensated.add(index)
                continue
            first = logged_attempts.get(index, 0) + 1
            last_error: object = None
            attempts = 0
            for attempts, attempt in enumerate(
                range(first, first + step.compensation_retries + 1), start=1
            ):
                await self._write([self._event(EventKind.COMPENSATION_STARTED, index, attempt)])
                ctx = self._step_context(
                    index, attempt, compensating=True, recovering=attempt == first and first > 1
                )
                result = await callee.call(self.context, ctx, step.compensation_timeout)
                if not isinstance(result, Failure):
                    await self._write(
                        [self._event(EventKind.COMPENSATION_SUCCEEDED, index, attempt)]
                    )
                    self.compensated.add(index)
                    break
                last_error = result.error
                await self._write(
                    [
                        self._event(
                            EventKind.COMPENSATION_FAILED, index, attempt, _describe(last_error)
                        )
                    ]
                )
                if attempts <= step.compensation_retries:
                    await asyncio.sleep(_backoff(step.retry_backoff, attempts))
            else:
                failures.append(CompensationFailure(step.name, last_error, attempts))
        return await self._compensation_done(failed_step, error, failures)

    async def _compensation_done(
        self, failed_step: str | None, cause: object, failures: list[CompensationFailure]
    ) -> Failure[SagaError]:
        """Log the end of compensation (COMPENSATED, or FAILED naming what failed)."""
        status = SagaStatus.FAILED if failures else SagaStatus.COMPENSATED
        kind = EventKind.SAGA_FAILED if failures else EventKind.SAGA_COMPENSATED
        detail = "; ".join(str(f) for f in failures) or None
        await self._write([self._event(kind, detail=detail)], status=status, error=detail)
        return Failure(
            SagaError(
                self.saga.name,
                self.id,
                failed_step,
                cause,
                status,
                self._compensated_names(),
                tuple(failures),
            )
        )


def error_from_record(saga: Saga, record: ExecutionRecord) -> SagaError:
    """Rebuild a finished execution's SagaError from its log (causes come back as text)."""
    failed: tuple[str | None, object] = (None, record.error)
    completed: list[int] = []
    undone: set[int] = set()
    comp_errors: dict[int, tuple[str | None, int]] = {}
    for event in record.events:
        i = event.index
        if event.kind is EventKind.STEP_FAILED:
            failed = (event.step, event.detail)
        elif i is None:
            continue
        elif event.kind is EventKind.STEP_SUCCEEDED and i not in completed:
            completed.append(i)
        elif event.kind is EventKind.COMPENSATION_SUCCEEDED:
            undone.add(i)
        elif event.kind is EventKind.COMPENSATION_FAILED:
            comp_errors[i] = (event.detail, comp_errors.get(i, (None, 0))[1] + 1)
    steps = saga.steps
    compensated = tuple(
        steps[i].name
        for i in reversed(completed)
        if i in undone or (i < len(steps) and steps[i].compensate is None)
    )
    failures = tuple(
        CompensationFailure(steps[i].name, detail, attempts)
        for i, (detail, attempts) in comp_errors.items()
        if i not in undone and i < len(steps)
    )
    return SagaError(
        saga.name, record.id, failed[0], failed[1], record.status, compensated, failures
    )
