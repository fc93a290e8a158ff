"""Static checks of rfs.di: annotations keep the class, resolve returns the requested type.

Run by `mypy --strict` and `pyright --strict` (make lint); nothing here runs in pytest.
"""

from __future__ import annotations

from typing import Any, assert_type

from rfs.di import Adapter, Component, Registry, UseCase

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


async def uses() -> None:
    assert_type(Clock, type[Clock])
    assert_type(FixedClock, type[FixedClock])
    assert_type(registry.resolve(Tick), Tick)
    assert_type(registry.get(Clock), Clock)
    assert_type(registry.resolve("tick"), Any)
    assert_type(await registry.aresolve(Tick), Tick)
    with registry.override(Clock, FixedClock()):
        assert_type(registry.resolve(Tick).clock.now(), int)
    async with registry.request_scope():
        pass
