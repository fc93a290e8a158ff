"""Saga definitions by name, so a recovering process finds the code of a logged execution."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from rfs.result import Result
from rfs.saga.errors import SagaError
from rfs.saga.records import ExecutionRecord
from rfs.saga.store import SagaStore


class Recoverable(Protocol):
    """What recovery needs of a saga definition (``Saga`` and ``CodeSaga`` are ones)."""

    name: str
    lease: float

    def matches_record(self, record: ExecutionRecord) -> bool: ...

    async def resume_execution(
        self, store: SagaStore, record: ExecutionRecord
    ) -> Result[Any, SagaError]: ...


R = TypeVar("R", bound=Recoverable)


class SagaRegistry:
    """Name -> saga definition. A later definition with the same name replaces the earlier one."""

    def __init__(self) -> None:
        self._sagas: dict[str, Recoverable] = {}

    def register(self, saga: R) -> R:
        self._sagas[saga.name] = saga
        return saga

    def unregister(self, name: str) -> None:
        self._sagas.pop(name, None)

    def get(self, name: str) -> Recoverable | None:
        return self._sagas.get(name)

    def names(self) -> list[str]:
        return sorted(self._sagas)

    def __contains__(self, name: object) -> bool:
        return name in self._sagas


_default = SagaRegistry()


def get_saga_registry() -> SagaRegistry:
    """The process-wide registry every saga joins unless given ``registry=``."""
    return _default
