"""Saga definitions by name, so a recovering process finds the code of a logged execution."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rfs.saga.saga import Saga


class SagaRegistry:
    """Name -> Saga. A later definition with the same name replaces the earlier one."""

    def __init__(self) -> None:
        self._sagas: dict[str, Saga] = {}

    def register(self, saga: Saga) -> Saga:
        self._sagas[saga.name] = saga
        return saga

    def unregister(self, name: str) -> None:
        self._sagas.pop(name, None)

    def get(self, name: str) -> Saga | None:
        return self._sagas.get(name)

    def names(self) -> list[str]:
        return sorted(self._sagas)

    def __contains__(self, name: object) -> bool:
        return name in self._sagas


_default = SagaRegistry()


def get_saga_registry() -> SagaRegistry:
    """The process-wide registry every ``Saga`` joins unless given ``registry=``."""
    return _default
