"""override(): a test replacement that is always undone, even when the body raises."""

from __future__ import annotations

from typing import Protocol

import pytest

from rfs.di import Adapter, Component, Port, RegistrationError, Registry


class Clock(Protocol):
    def now(self) -> int: ...


def build() -> tuple[Registry, type, type]:
    registry = Registry()
    Port(registry=registry)(Clock)

    @Adapter(port=Clock, registry=registry)
    class SystemClock:
        def now(self) -> int:
            return 1

    @Component(registry=registry)
    class Greeter:
        def __init__(self, clock: Clock) -> None:
            self.clock = clock

    return registry, SystemClock, Greeter


class FrozenClock:
    def now(self) -> int:
        return 99


def test_override_with_a_class_then_restores_the_original_objects() -> None:
    """Dependents see the replacement inside; the original singletons come back after."""
    registry, _system, greeter_cls = build()
    before = registry.resolve(greeter_cls)
    with registry.override(Clock, FrozenClock):
        inside = registry.resolve(greeter_cls)
        assert inside is not before and inside.clock.now() == 99
        assert registry.resolve(Clock).now() == 99
    assert registry.resolve(greeter_cls) is before
    assert registry.resolve(Clock).now() == 1


def test_override_with_an_instance() -> None:
    """A ready object replaces the port as is."""
    registry, _system, greeter_cls = build()
    frozen = FrozenClock()
    with registry.override(Clock, frozen):
        assert registry.resolve(greeter_cls).clock is frozen
    with registry.override(Clock, instance=frozen):
        assert registry.resolve(Clock) is frozen


def test_override_restores_even_when_the_body_raises() -> None:
    """An exception in the with-body leaves the registry exactly as before."""
    registry, _system, greeter_cls = build()
    before = registry.resolve(greeter_cls)
    with pytest.raises(RuntimeError, match="boom"), registry.override(Clock, FrozenClock):
        assert registry.resolve(Clock).now() == 99
        raise RuntimeError("boom")
    assert registry.resolve(greeter_cls) is before
    assert registry.resolve(Clock).now() == 1


def test_nested_overrides_unwind_in_order() -> None:
    """Inner override wins while active; leaving it returns to the outer override."""
    registry, _system, greeter_cls = build()

    class Other:
        def now(self) -> int:
            return 5

    with registry.override(Clock, FrozenClock):
        with registry.override(Clock, Other):
            assert registry.resolve(greeter_cls).clock.now() == 5
        assert registry.resolve(greeter_cls).clock.now() == 99
    assert registry.resolve(greeter_cls).clock.now() == 1


def test_override_of_an_unresolved_singleton_does_not_leak() -> None:
    """Singletons first created during an override are dropped when it ends."""
    registry, _system, greeter_cls = build()
    with registry.override(Clock, FrozenClock):
        assert registry.resolve(greeter_cls).clock.now() == 99
    assert registry.resolve(greeter_cls).clock.now() == 1


def test_override_needs_a_replacement() -> None:
    """Calling override without a replacement is a programmer error with the fix."""
    registry, _system, _greeter = build()
    with pytest.raises(RegistrationError, match="give a class, factory or instance"):
        with registry.override(Clock):
            pass
