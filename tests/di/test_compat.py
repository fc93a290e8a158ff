"""RFS v4 entry points keep working: AnnotationRegistry, StatelessRegistry, inject, scopes."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Protocol

import pytest

from rfs.di import (
    Adapter,
    AnnotationRegistry,
    ComponentScope,
    DIError,
    Port,
    Registry,
    Scope,
    ServiceScope,
    StatelessRegistry,
    inject,
    stateless,
)
from rfs.di.scopes import as_scope


@pytest.fixture
def clean_stateless() -> Iterator[None]:
    StatelessRegistry.clear()
    yield
    StatelessRegistry.clear()


def test_stateless_registry_class_api(clean_stateless: None) -> None:
    """``@StatelessRegistry.register(name, dependencies=[...])`` and ``get`` work as in v4."""

    @StatelessRegistry.register("calculator")
    class Calculator:
        def add(self, a: int, b: int) -> int:
            return a + b

    @StatelessRegistry.register("report", dependencies=["calculator"])
    class Report:
        def __init__(self, calculator: Calculator) -> None:
            self.calculator = calculator

    @stateless
    class Logger:
        pass

    assert StatelessRegistry.get("report").calculator is StatelessRegistry.get("calculator")
    assert isinstance(StatelessRegistry.get("Logger"), Logger)
    assert sorted(StatelessRegistry.list_services()) == ["Logger", "calculator", "report"]


def test_inject_decorator_appends_named_services(clean_stateless: None) -> None:
    """``@inject("calculator")`` passes the service after the call's own arguments."""

    @StatelessRegistry.register("calculator")
    class Calculator:
        def double(self, n: int) -> int:
            return n * 2

    @inject("calculator")
    def process(n: int, calculator: Calculator) -> int:
        return calculator.double(n)

    assert process(21) == 42


def test_annotation_registry_v4_methods() -> None:
    """current_profile, auto_register_module, get_by_port and validate_registrations."""

    class Users(Protocol):
        def name(self) -> str: ...

    module = types.ModuleType("v4_users")
    scratch = Registry()
    Port("user_repository", registry=scratch)(Users)

    @Adapter(port="user_repository", profile="production", registry=scratch)
    class PgUsers:
        def name(self) -> str:
            return "pg"

    for cls in (Users, PgUsers):
        cls.__module__ = module.__name__
        setattr(module, cls.__name__, cls)
    registry = AnnotationRegistry(current_profile="production")
    assert registry.current_profile == "production"
    assert set(registry.auto_register_module(module)) == {Users, PgUsers}
    assert registry.validate_registrations() == []
    assert registry.get_by_port("user_repository").name() == "pg"
    with pytest.raises(DIError, match="AnnotationRegistry\\(current_profile='test'\\)"):
        registry.get_by_port("user_repository", profile="test")
    broken = AnnotationRegistry(current_profile="test")
    broken.auto_register_module(module)
    broken.register("needs_users", lambda users: users)
    assert len(broken.validate_registrations()) == 1


def test_v4_scope_names_and_strings() -> None:
    """ServiceScope/ComponentScope are Scope; other enums with the same values convert."""
    import enum

    class OldScope(enum.Enum):
        SINGLETON = "singleton"
        REQUEST = "request"

    assert ServiceScope is Scope and ComponentScope is Scope
    assert as_scope(OldScope.REQUEST) is Scope.REQUEST
    assert as_scope("SINGLETON") is Scope.SINGLETON


def test_v4_service_registry_named_services_with_dependencies() -> None:
    """register(name, cls, scope, dependencies) then get(name); singletons are made eagerly."""
    from rfs.di import ServiceRegistry

    made: list[str] = []

    class Db:
        def __init__(self) -> None:
            made.append("db")

    class Users:
        def __init__(self, db: Db) -> None:
            self.db = db

    services = ServiceRegistry()
    services.register("db", Db)
    assert made == ["db"]
    services.register("users", Users, ServiceScope.PROTOTYPE, dependencies=["db"])
    first, second = services.get("users"), services.get("users")
    assert first is not second and first.db is second.db is services.get("db")
    assert sorted(services.list_services()) == ["db", "users"]


def test_top_level_exports_the_canonical_names_and_keeps_v4_ones() -> None:
    """``rfs.Registry``/``rfs.Scope`` are the canonical classes; the v4 names still import."""
    import rfs

    assert "Registry" in rfs.__all__ and "Scope" in rfs.__all__
    assert rfs.Registry is Registry and rfs.Scope is Scope
    assert rfs.ServiceScope is Scope and issubclass(rfs.AnnotationRegistry, Registry)
    assert isinstance(rfs.StatelessRegistry.registry, Registry)
