"""Trigger state (last handled and next fire times): the port and the in-memory store."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from rfs.result import Failure, Result, Success


@dataclass(frozen=True)
class TriggerState:
    """What survives a restart: every fire time at or before ``cursor`` was handled."""

    name: str
    cursor: datetime | None = None
    next_fire: datetime | None = None
    paused: bool = False
    fence: int = 0


@dataclass(frozen=True)
class StaleFence:
    """A write refused because a newer leader (higher fencing token) already wrote."""

    name: str
    token: int
    current: int

    def __str__(self) -> str:
        return (
            f"trigger {self.name!r}: fencing token {self.token} is older than {self.current}; "
            "another scheduler instance is the leader now"
        )


@runtime_checkable
class StateStore(Protocol):
    """Keeps :class:`TriggerState` per trigger name; writes are fenced by the leader's token."""

    async def load_all(self) -> dict[str, TriggerState]:
        """Every stored state, by trigger name."""
        ...

    async def save(self, states: list[TriggerState], fence: int) -> Result[None, StaleFence]:
        """Write ``states`` atomically unless a state was written with a higher token."""
        ...

    async def delete(self, name: str) -> None:
        """Forget a trigger."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryStateStore:
    """The default store: a dict, so state lasts as long as the process."""

    def __init__(self) -> None:
        self._states: dict[str, TriggerState] = {}

    async def load_all(self) -> dict[str, TriggerState]:
        return dict(self._states)

    async def save(self, states: list[TriggerState], fence: int) -> Result[None, StaleFence]:
        for state in states:
            current = self._states.get(state.name)
            if current is not None and current.fence > fence:
                return Failure(StaleFence(state.name, fence, current.fence))
        for state in states:
            self._states[state.name] = replace(state, fence=fence)
        return Success(None)

    async def delete(self, name: str) -> None:
        self._states.pop(name, None)

    async def close(self) -> None:
        return None
