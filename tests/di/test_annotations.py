"""Annotations: bare and called forms, options, aliases, and where they register."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

import pytest

import rfs.di as di
from rfs.di import (
    Adapter,
    Component,
    ComponentMeta,
    Controller,
    Port,
    RegistrationError,
    Registry,
    Scope,
    UseCase,
)
from rfs.di.markers import meta_of


@pytest.mark.parametrize("deco", [Component, UseCase, Controller, di.Service, di.Repository])
def test_bare_and_called_forms_record_the_same_defaults(deco: di.Annotation) -> None:
    """``@X`` and ``@X()`` both record a singleton named after the class and register it."""
    registry = Registry()

    class Bare:
        pass

    deco(Bare)

    @deco(registry=registry)
    class Called:
        pass

    for cls in (Bare, Called):
        meta = meta_of(cls)
        assert meta == ComponentMeta(kind=deco.kind, name=cls.__name__)
    assert registry.resolve(Called) is registry.resolve(Called)
    assert di.default_registry().resolve(Bare) is di.default_registry().resolve(Bare)


def test_options_are_recorded() -> None:
    """name, scope, primary, lazy and profile land in the metadata and the binding."""
    registry = Registry(profile="dev")

    @Component(
        name="clock",
        scope="prototype",
        primary=True,
        lazy=True,
        profile="dev,test",
        registry=registry,
    )
    class Clock:
        pass

    meta = meta_of(Clock)
    assert isinstance(meta, ComponentMeta)
    assert (meta.name, meta.scope, meta.primary, meta.lazy, meta.profiles) == (
        "clock",
        Scope.PROTOTYPE,
        True,
        True,
        ("dev", "test"),
    )
    assert isinstance(registry.resolve("clock"), Clock)
    assert registry.resolve(Clock) is not registry.resolve(Clock)


def test_snake_case_aliases_are_the_same_decorators() -> None:
    """Each annotation has a snake_case alias that is the same object."""
    pairs = [
        (di.port, Port),
        (di.adapter, Adapter),
        (di.component, Component),
        (di.use_case, UseCase),
        (di.controller, Controller),
    ]
    for alias, original in pairs:
        assert alias is original


def test_port_on_protocol_and_abc_and_adapter_infers_port_from_base() -> None:
    """@Port works on a Protocol and an ABC; a bare @Adapter finds its @Port base class."""
    registry = Registry()

    @Port(registry=registry)
    class Clock(Protocol):
        def now(self) -> int: ...

    @Port(name="mailer", registry=registry)
    class Mailer(ABC):
        @abstractmethod
        def send(self) -> str: ...

    @Adapter(port=Clock, registry=registry)
    class FixedClock:
        def now(self) -> int:
            return 42

    @Adapter(registry=registry)
    class FakeMailer(Mailer):
        def send(self) -> str:
            return "sent"

    assert registry.resolve(Clock).now() == 42
    assert registry.resolve(Mailer).send() == "sent"
    assert registry.resolve("mailer") is registry.resolve(Mailer)
    assert di.is_port(Clock) and di.is_adapter(FixedClock) and not di.is_port(FixedClock)


def test_v4_positional_forms() -> None:
    """v4 spelled ``@Port("name")``, ``@Adapter("port_name")`` and ``@Controller("/route")``."""
    registry = Registry()

    @Port("user_repository", registry=registry)
    class UserRepository(Protocol):
        def find(self) -> str: ...

    @Adapter("user_repository", registry=registry)
    class MemoryUsers:
        def find(self) -> str:
            return "ann"

    @Adapter(UserRepository, name="other", profile="other", registry=registry)
    class OtherUsers:
        def find(self) -> str:
            return "bob"

    @Controller("/users", registry=registry)
    class Users:
        def __init__(self, repo: UserRepository) -> None:
            self.repo = repo

    assert registry.resolve(Users).repo.find() == "ann"
    assert registry.resolve("user_repository").find() == "ann"
    meta = meta_of(Users)
    assert meta is not None and meta.route == "/users"


def test_annotation_misuse_raises_with_the_fix() -> None:
    """Adapters need a port; port= belongs to @Adapter; annotations decorate classes only."""
    registry = Registry()
    with pytest.raises(RegistrationError, match=r"no port given.*@Adapter\(port=YourPort\)"):

        @Adapter(registry=registry)
        class Orphan:
            pass

    with pytest.raises(RegistrationError, match="port= is only for @Adapter"):
        Component(port=int)
    with pytest.raises(RegistrationError, match="unknown scope 'forever'"):
        Component(scope="forever")
    with pytest.raises(RegistrationError, match="decorates classes"):
        Component()(len)  # type: ignore[arg-type]


def test_reusing_a_configured_decorator_keeps_its_options() -> None:
    """A decorator made once (``Component(scope=...)``) applies its options every time."""
    registry = Registry()
    prototype = Component(scope="prototype", registry=registry)

    @prototype
    class A:
        pass

    @prototype
    class B:
        pass

    assert registry.resolve(A) is not registry.resolve(A)
    assert registry.resolve(B) is not registry.resolve(B)


def test_injectable_is_a_bare_component() -> None:
    """v4 ``@Injectable`` registers a singleton component in the default registry."""

    @di.Injectable
    class Thing:
        pass

    meta = meta_of(Thing)
    assert meta is not None and meta.kind == "component"


def test_set_default_registry_replaces_the_target_of_bare_annotations() -> None:
    """Bare annotations register into whatever default registry is current."""
    mine = Registry()
    di.set_default_registry(mine)
    try:

        @Component
        class Local:
            pass

        assert isinstance(mine.resolve(Local), Local)
    finally:
        di.set_default_registry(None)
    assert di.default_registry() is not mine
