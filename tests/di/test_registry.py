"""Registry: registration forms, profiles, scan, qualified and optional injection."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol

import pytest

from rfs.di import (
    Adapter,
    AsyncResolutionError,
    Component,
    Inject,
    MissingBindingError,
    Port,
    RegistrationError,
    Registry,
    UseCase,
)


class Database:
    def __init__(self, url: str = "sqlite://") -> None:
        self.url = url


class Cache:
    pass


class Repo:
    def __init__(self, db: Database) -> None:
        self.db = db


def test_register_class_key_provider_and_instance() -> None:
    """register(Cls), register(Key, Impl), register(Key, factory) and instance= all resolve."""
    registry = Registry()
    registry.register(Repo)
    registry.register(Database, instance=Database("postgres://"))
    assert registry.resolve(Repo).db.url == "postgres://"

    class Clock(Protocol):
        def now(self) -> int: ...

    class Fixed:
        def now(self) -> int:
            return 7

    registry.register(Clock, Fixed)
    registry.register("answer", lambda clock: clock.now() * 6)  # untyped: fails validation
    assert registry.resolve(Clock).now() == 7
    with pytest.raises(RegistrationError, match="parameter 'clock' of answer has no type hint"):
        registry.resolve("answer")

    def answer(clock: Clock) -> int:
        return clock.now() * 6

    registry.register("answer2", answer)
    assert registry.get("answer2") == 42


def test_register_as_a_decorator_in_the_stateless_registry_style() -> None:
    """``@registry.register("name")`` and bare ``@registry.register`` register the class."""
    registry = Registry()

    @registry.register("calculator")
    class Calculator:
        def add(self, a: int, b: int) -> int:
            return a + b

    @registry.register
    class Logger:
        pass

    assert registry.get("calculator").add(1, 2) == 3
    assert registry.get("Logger") is registry.resolve(Logger)
    assert sorted(registry.list_services()) == ["Logger", "calculator"]


def test_registering_the_same_class_twice_is_idempotent() -> None:
    """Re-registering (e.g. scanning twice) replaces the binding instead of making it ambiguous."""
    registry = Registry()
    registry.register(Database)
    registry.register(Database)
    assert isinstance(registry.resolve(Database), Database)


def test_constructor_injection_uses_string_annotations_of_local_classes() -> None:
    """Under ``from __future__ import annotations`` hints are strings; local classes resolve."""
    registry = Registry()

    @Component(registry=registry)
    class Engine:
        pass

    @Component(registry=registry)
    class Car:
        def __init__(self, engine: Engine, wheels: int = 4) -> None:
            self.engine = engine
            self.wheels = wheels

    car = registry.resolve(Car)
    assert isinstance(car.engine, Engine) and car.wheels == 4


def test_dataclass_components_are_injected() -> None:
    """Dataclass-generated ``__init__`` parameters are injected like hand-written ones."""
    registry = Registry()
    registry.register(Database)

    @Component(registry=registry)
    @dataclass
    class Service:
        db: Database
        retries: int = 3

    assert registry.resolve(Service).db is registry.resolve(Database)


def test_annotated_inject_selects_a_named_binding() -> None:
    """``Annotated[T, Inject(name=...)]`` and ``Inject[T, "name"]`` pick the named binding."""
    registry = Registry()
    registry.register(Database, instance=Database("primary"), name="primary")
    registry.register("replica", instance=Database("replica"))

    class Reports:
        def __init__(
            self,
            main: Annotated[Database, Inject(name="primary")],
            replica: Inject[Database, "replica"],  # type: ignore[valid-type]  # noqa: F821, UP037
        ) -> None:
            self.main = main
            self.replica = replica

    registry.register(Reports)
    reports = registry.resolve(Reports)
    assert (reports.main.url, reports.replica.url) == ("primary", "replica")


def test_optional_dependencies_use_defaults_or_none() -> None:
    """An unbound parameter with a default keeps it; ``T | None`` without a default gets None."""
    registry = Registry()

    class Service:
        def __init__(
            self, cache: Cache | None, timeout: float = 2.5, *, db: Database | None = None
        ):
            self.cache, self.timeout, self.db = cache, timeout, db

    registry.register(Service, scope="prototype")
    service = registry.resolve(Service)
    assert (service.cache, service.timeout, service.db) == (None, 2.5, None)
    registry.register(Cache)
    assert isinstance(registry.resolve(Service).cache, Cache)


def test_keyword_only_and_skipped_parameters_are_passed_by_keyword() -> None:
    """After a parameter left at its default, later dependencies go by keyword."""
    registry = Registry()
    registry.register(Database)

    class Service:
        def __init__(self, name: str = "svc", db: Database | None = None, *, repo: Repo) -> None:
            self.name, self.db, self.repo = name, db, repo

    registry.register(Repo)
    registry.register(Service)
    service = registry.resolve(Service)
    assert service.name == "svc" and service.db is registry.resolve(Database)
    assert service.repo is registry.resolve(Repo)


def test_profiles_select_adapters_and_come_from_rfs_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The active profile picks the adapter; ``RFS_PROFILE`` sets it; ``!prod`` negates."""

    @Port(registry=Registry())
    class Mail(Protocol):
        def kind(self) -> str: ...

    def build(profile: str | None) -> Registry:
        registry = Registry(profile=profile)
        registry.register_class(Mail)

        @Adapter(port=Mail, profile="prod", registry=registry)
        class Smtp:
            def kind(self) -> str:
                return "smtp"

        @Adapter(port=Mail, profile="!prod", registry=registry)
        class Outbox:
            def kind(self) -> str:
                return "outbox"

        return registry

    assert build("prod").resolve(Mail).kind() == "smtp"
    assert build("test").resolve(Mail).kind() == "outbox"
    monkeypatch.setenv("RFS_PROFILE", "prod")
    assert build(None).profiles == frozenset({"prod"})
    assert build(None).resolve(Mail).kind() == "smtp"
    monkeypatch.delenv("RFS_PROFILE")
    assert build(None).profile == "default"


def test_scan_registers_annotated_classes_of_a_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """scan() imports submodules and registers each annotated class; others are ignored."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    registry = Registry(profile="prod")
    found = registry.scan("di_scan_fixture")
    assert {cls.__name__ for cls in found} == {"Greeter", "PlainGreeter", "LoudGreeter", "Welcome"}
    from di_scan_fixture.sub.adapters import NotAnnotated, Welcome

    assert registry.resolve(Welcome).run() == "HELLO!"
    assert NotAnnotated not in registry
    test_registry = Registry(profile="test")
    test_registry.scan("di_scan_fixture")
    assert test_registry.resolve(Welcome).run() == "hello!"


def test_unregistered_class_is_a_missing_binding_with_the_fix() -> None:
    """Resolving a class nobody registered fails, saying how to register it."""
    registry = Registry()
    with pytest.raises(MissingBindingError, match=r"Repo: nothing provides Repo; fix: decorate"):
        registry.resolve(Repo)


def test_the_registry_itself_can_be_injected() -> None:
    """A parameter typed ``Registry`` receives the resolving registry (for lazy lookups)."""
    registry = Registry()

    class Lazy:
        def __init__(self, registry: Registry) -> None:
            self.registry = registry

    registry.register(Lazy)
    assert registry.resolve(Lazy).registry is registry


async def test_async_factories_need_aresolve_or_start() -> None:
    """An async factory resolves with aresolve; sync resolve says how to fix it."""
    registry = Registry()

    async def connect() -> Database:
        await asyncio.sleep(0)
        return Database("async")

    registry.register(Database, connect)
    registry.register(Repo)
    with pytest.raises(AsyncResolutionError, match=r"await registry.aresolve"):
        registry.resolve(Repo)
    repo = await registry.aresolve(Repo)
    assert repo.db.url == "async"
    assert registry.resolve(Repo) is repo


async def test_use_case_with_async_prototype_dependency() -> None:
    """aresolve builds prototypes from async factories fresh each time."""
    registry = Registry()
    counter = iter(range(100))

    async def make() -> Database:
        return Database(str(next(counter)))

    registry.register(Database, make, scope="prototype")

    @UseCase(scope="prototype", registry=registry)
    class Job:
        def __init__(self, db: Database) -> None:
            self.db = db

    first, second = await registry.aresolve(Job), await registry.aresolve(Job)
    assert (first.db.url, second.db.url) == ("0", "1")


async def test_aresolve_awaits_async_factories_deep_in_the_graph() -> None:
    """A sync singleton over a sync prototype over an async factory is built by aresolve."""
    registry = Registry()

    async def connect() -> Database:
        return Database("deep")

    registry.register(Database, connect)
    registry.register(Repo, scope="prototype")

    class Service:
        def __init__(self, repo: Repo) -> None:
            self.repo = repo

    registry.register(Service)
    service = await registry.aresolve(Service)
    assert service.repo.db.url == "deep"


def test_bad_registrations_say_what_to_pass_instead() -> None:
    """A non-callable provider or a non-class key alone is refused with the right form."""
    registry = Registry()
    with pytest.raises(RegistrationError, match="pass ready objects as instance="):
        registry.register(Database, 42)
    with pytest.raises(RegistrationError, match="give a class, or a key with a provider"):
        registry.register(42)
    with pytest.raises(RegistrationError, match="has no RFS annotation"):
        registry.register_class(Database)
    assert Database not in registry
