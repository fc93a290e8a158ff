# pyright: reportUnnecessaryTypeIgnoreComment=true
"""Static checks of rfs.di: annotations keep the class, resolve returns the requested type.

Run by `mypy --strict` and `pyright --strict` (make lint); nothing here runs in pytest.
Each `# type: ignore[...]` line is a use that must be rejected: both checkers report an
ignore that is no longer needed (mypy's warn_unused_ignores, pyright's
reportUnnecessaryTypeIgnoreComment), so a type that degrades to `Any` fails the check.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol, assert_type

from rfs.di import (
    Adapter,
    Component,
    Port,
    Registry,
    Scope,
    ServiceScope,
    UseCase,
    current_registry,
)

registry = Registry(profile="test")


@Component
class Clock:
    def now(self) -> int:
        return 0


@Adapter(port=Clock, profile="test", registry=registry)
class FixedClock(Clock):
    pass


@UseCase(scope="prototype", registry=registry)
class Tick:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock


@Port(registry=registry)
class OrderRepository(Protocol):
    """A Protocol port: resolving it must type-check under mypy --strict too."""

    def count(self) -> int: ...


@Adapter(port=OrderRepository, registry=registry)
class MemoryOrders:
    def count(self) -> int:
        return 0


@Port(registry=registry)
class Mailer(ABC):
    """An abstract-class port."""

    @abstractmethod
    def send(self, to: str) -> bool: ...


async def uses() -> None:
    assert_type(Clock, type[Clock])
    assert_type(FixedClock, type[FixedClock])
    assert_type(OrderRepository, type[OrderRepository])
    assert_type(registry.resolve(Tick), Tick)
    assert_type(registry.get(Clock), Clock)
    assert_type(registry.resolve(OrderRepository), OrderRepository)
    assert_type(registry.get(OrderRepository).count(), int)
    assert_type(registry.resolve(Mailer), Mailer)
    assert_type(registry.resolve("tick"), Any)
    assert_type(await registry.aresolve(Tick), Tick)
    assert_type(await registry.aresolve(OrderRepository), OrderRepository)
    assert_type(registry.resolve_optional(OrderRepository), OrderRepository | None)
    assert_type(registry.resolve_optional(Clock), Clock | None)
    assert_type(current_registry(), Registry | None)
    assert_type(ServiceScope, type[Scope])
    with registry.override(Clock, FixedClock()):
        assert_type(registry.resolve(Tick).clock.now(), int)
    async with registry.request_scope():
        pass
    with registry.activate() as active:
        assert_type(active, Registry)


def rejected() -> None:
    registry.resolve(3)  # type: ignore[call-overload]
    count: str = registry.resolve(OrderRepository).count()  # type: ignore[assignment]
    registry.resolve(Clock).today()  # type: ignore[attr-defined]
    registry.resolve_optional(Clock).now()  # type: ignore[union-attr]
    clock: Clock = registry.resolve(Tick)  # type: ignore[assignment]
    Registry(profile=3)  # type: ignore[arg-type]
