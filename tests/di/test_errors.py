"""Wiring errors: each kind names its full chain and the fix, and validate() finds them all."""

from __future__ import annotations

from typing import Protocol

import pytest

from rfs.di import (
    Adapter,
    AmbiguousBindingError,
    CircularDependencyError,
    Component,
    ContainerValidationError,
    Controller,
    MissingBindingError,
    Port,
    PortMismatchError,
    Registry,
    ScopeNotActiveError,
    ScopeViolationError,
    UseCase,
)


class PaymentPort(Protocol):
    def charge(self, cents: int) -> bool: ...


def shop(profile: str) -> tuple[Registry, type]:
    """OrderController → PlaceOrder → PaymentPort with only a 'test' adapter."""
    registry = Registry(profile=profile)
    Port(registry=registry)(PaymentPort)

    @Adapter(port=PaymentPort, profile="test", registry=registry)
    class FakePayments:
        def charge(self, cents: int) -> bool:
            return True

    @UseCase(registry=registry)
    class PlaceOrder:
        def __init__(self, payments: PaymentPort) -> None:
            self.payments = payments

    @Controller(registry=registry)
    class OrderController:
        def __init__(self, place_order: PlaceOrder) -> None:
            self.place_order = place_order

    return registry, OrderController


def test_missing_adapter_for_the_profile_names_the_chain_and_other_profiles() -> None:
    """The message reads like the issue's example and says how to fix it."""
    registry, controller = shop("prod")
    expected = (
        "OrderController → PlaceOrder → PaymentPort: no adapter for profile 'prod'; "
        "adapters exist for 'test'"
    )
    with pytest.raises(ContainerValidationError) as info:
        registry.validate()
    assert len(info.value.errors) == 1
    error = info.value.errors[0]
    assert isinstance(error, MissingBindingError)
    assert str(error).startswith(expected)
    assert "fix: activate one of those profiles" in str(error)
    assert error.chain == ("OrderController", "PlaceOrder", "PaymentPort")
    with pytest.raises(MissingBindingError, match=expected):
        registry.resolve(controller)
    working, controller = shop("test")
    assert working.resolve(controller).place_order.payments.charge(1)


def test_port_without_any_adapter() -> None:
    """A declared port with no adapter at all says to add one."""
    registry = Registry()
    Port(registry=registry)(PaymentPort)

    @Component(registry=registry)
    class Checkout:
        def __init__(self, payments: PaymentPort) -> None:
            self.payments = payments

    with pytest.raises(
        MissingBindingError,
        match=r"Checkout → PaymentPort: no adapter registered for port PaymentPort; "
        r"fix: add a class decorated @Adapter\(port=PaymentPort\)",
    ):
        registry.resolve(Checkout)


def test_ambiguous_adapters_without_primary() -> None:
    """Two adapters for one port under the active profile fail unless one is primary."""
    registry = Registry()
    Port(registry=registry)(PaymentPort)

    @Adapter(port=PaymentPort, registry=registry)
    class Stripe:
        def charge(self, cents: int) -> bool:
            return True

    @Adapter(port=PaymentPort, registry=registry)
    class Adyen(Stripe):
        pass

    @Component(registry=registry)
    class Checkout:
        def __init__(self, payments: PaymentPort) -> None:
            self.payments = payments

    with pytest.raises(ContainerValidationError) as info:
        registry.validate()
    (error,) = info.value.errors
    assert isinstance(error, AmbiguousBindingError)
    assert str(error).startswith(
        "Checkout → PaymentPort: 2 adapters match under profile 'default': Stripe, Adyen; "
        "fix: mark exactly one primary=True"
    )

    @Adapter(port=PaymentPort, primary=True, registry=registry)
    class Braintree(Stripe):
        pass

    registry.validate()
    assert isinstance(registry.resolve(Checkout).payments, Braintree)


def test_circular_dependency_names_the_cycle() -> None:
    """A → B → C → A is reported with the loop spelled out."""
    registry = Registry()

    class A:
        def __init__(self, b: B) -> None: ...

    class B:
        def __init__(self, c: C) -> None: ...

    class C:
        def __init__(self, a: A) -> None: ...

    for cls in (A, B, C):
        registry.register(cls)
    with pytest.raises(ContainerValidationError) as info:
        registry.validate()
    (error,) = info.value.errors
    assert isinstance(error, CircularDependencyError)
    assert str(error).startswith("A → B → C → A: circular dependency; fix:")
    with pytest.raises(CircularDependencyError, match="B → C → A → B"):
        registry.resolve(B)


def test_singleton_depending_on_request_scoped_is_a_scope_violation() -> None:
    """Singleton → prototype → request is caught with the whole path, before any request."""
    registry = Registry()

    @Component(scope="request", registry=registry)
    class Session:
        pass

    @Component(scope="prototype", registry=registry)
    class Unit:
        def __init__(self, session: Session) -> None: ...

    @Component(registry=registry)
    class Cache:
        def __init__(self, unit: Unit) -> None: ...

    with pytest.raises(ContainerValidationError) as info:
        registry.validate()
    (error,) = info.value.errors
    assert isinstance(error, ScopeViolationError)
    assert str(error).startswith(
        "Cache → Unit → Session: singleton Cache would keep one request-scoped Session"
    )
    assert "fix: make Cache request-scoped or prototype" in str(error)


def test_validate_reports_every_problem_at_once_before_any_resolve() -> None:
    """Missing, ambiguous, cyclic and scope errors in one graph are all listed together."""
    registry = Registry(profile="prod")
    Port(registry=registry)(PaymentPort)

    class Mailer(Protocol):
        def send(self) -> None: ...

    Port(registry=registry)(Mailer)

    made: list[object] = []

    @Adapter(port=Mailer, registry=registry)
    class SmtpMailer:
        def __init__(self) -> None:
            made.append(self)

        def send(self) -> None: ...

    @Adapter(port=Mailer, registry=registry)
    class SesMailer(SmtpMailer):
        pass

    @Adapter(port=PaymentPort, profile="test", registry=registry)
    class FakePayments:
        def charge(self, cents: int) -> bool:
            return True

    @Component(registry=registry)
    class X:
        def __init__(self, y: Y) -> None: ...

    @Component(registry=registry)
    class Y:
        def __init__(self, x: X) -> None: ...

    @Component(scope="request", registry=registry)
    class Session:
        pass

    @Component(registry=registry)
    class Service:
        def __init__(self, payments: PaymentPort, mailer: Mailer) -> None: ...

    @Component(registry=registry)
    class Audit:
        def __init__(self, session: Session) -> None: ...

    problems = registry.problems()
    kinds = sorted(type(p).__name__ for p in problems)
    assert kinds == [
        "AmbiguousBindingError",
        "CircularDependencyError",
        "MissingBindingError",
        "ScopeViolationError",
    ], [str(p) for p in problems]
    with pytest.raises(ContainerValidationError, match=r"4 problem\(s\)"):
        registry.validate()
    assert made == []  # validating created nothing


def test_request_scoped_outside_a_scope_says_how_to_open_one() -> None:
    """Resolving a request-scoped object with no open scope names the two ways to open one."""
    registry = Registry()

    @Component(scope="request", registry=registry)
    class Session:
        pass

    with pytest.raises(ScopeNotActiveError, match=r"async with registry.request_scope\(\)"):
        registry.resolve(Session)


def test_missing_named_binding() -> None:
    """A qualifier naming nothing registered is reported with the name."""
    registry = Registry()
    with pytest.raises(MissingBindingError, match="nothing is registered under the name 'nope'"):
        registry.resolve("nope")


def test_adapter_lacking_a_port_method_is_reported() -> None:
    """An adapter missing a method its port declares is named with the method, at validate."""
    registry = Registry()

    @Port(registry=registry)
    class Orders(Protocol):
        owner: str  # attributes may be set in __init__: not checked

        def save(self, order: str) -> None: ...

        def get(self, order_id: str) -> str | None: ...

    @Adapter(port=Orders, registry=registry)
    class HalfDone:
        def save(self, order: str) -> None: ...

    with pytest.raises(ContainerValidationError) as info:
        registry.validate()
    (error,) = info.value.errors
    assert isinstance(error, PortMismatchError)
    assert str(error).startswith(
        "HalfDone → Orders: adapter HalfDone lacks get declared by port Orders; fix: implement it"
    )
