"""An execution's state rebuilt from its log: the one replay every form of saga uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rfs.saga.records import EventKind, LogEvent


class StepState(StrEnum):
    """Where a step stands in the log: its last forward event."""

    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(slots=True)
class LoggedStep:
    """A step as the log left it: its name, state, last attempt and detail (value or error)."""

    name: str | None
    state: StepState
    attempt: int
    detail: str | None


_FORWARD = {
    EventKind.STEP_STARTED: StepState.STARTED,
    EventKind.STEP_SUCCEEDED: StepState.SUCCEEDED,
    EventKind.STEP_FAILED: StepState.FAILED,
}


@dataclass(slots=True)
class ExecutionState:
    """What the log says of an execution: which steps ran, which were undone, what failed.

    ``failed_step``/``failure`` are the last logged step failure (name and error text);
    ``completed`` lists the succeeded steps in the order they succeeded (a retried write
    that logged one twice counts once); ``compensation_attempts`` the last attempt logged
    for each compensation; ``compensation_errors`` the last error and number of failed
    attempts of each compensation (a failure logged twice counts once).
    """

    steps: dict[int, LoggedStep] = field(default_factory=dict)
    completed: list[int] = field(default_factory=list)
    compensated: set[int] = field(default_factory=set)
    compensation_attempts: dict[int, int] = field(default_factory=dict)
    compensation_errors: dict[int, tuple[str | None, int]] = field(default_factory=dict)
    failed: bool = False
    failed_step: str | None = None
    failure: str | None = None

    @classmethod
    def replay(cls, events: Sequence[LogEvent]) -> ExecutionState:
        state = cls()
        failed_attempts: dict[int, set[int]] = {}  # a retried write may log a failure twice
        for event in events:
            i = event.index
            if event.kind is EventKind.STEP_FAILED:
                state.failed, state.failed_step, state.failure = True, event.step, event.detail
            if i is None:
                continue
            forward = _FORWARD.get(event.kind)
            if forward is not None:
                state.steps[i] = LoggedStep(event.step, forward, event.attempt, event.detail)
                if forward is StepState.SUCCEEDED and i not in state.completed:
                    state.completed.append(i)
            elif event.kind is EventKind.COMPENSATION_STARTED:
                state.compensation_attempts[i] = event.attempt
            elif event.kind is EventKind.COMPENSATION_SUCCEEDED:
                state.compensated.add(i)
            elif event.kind is EventKind.COMPENSATION_FAILED:
                seen = failed_attempts.setdefault(i, set())
                seen.add(event.attempt)
                state.compensation_errors[i] = (event.detail, len(seen))
        return state

    def running(self) -> tuple[int, int] | None:
        """The last step logged as started and not finished, with its attempt."""
        started = [i for i, s in self.steps.items() if s.state is StepState.STARTED]
        if not started:
            return None
        index = max(started)
        return index, self.steps[index].attempt
