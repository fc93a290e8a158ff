"""Lifecycle: on_start/on_stop, context managers and generator factories, closed in reverse."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from rfs.di import AsyncResolutionError, Component, RegistrationError, Registry


async def test_shutdown_closes_in_reverse_creation_order() -> None:
    """Dependencies are created first and closed last; every kind of closer runs."""
    registry = Registry()
    events: list[str] = []

    class Engine:
        pass

    async def engine() -> AsyncIterator[Engine]:
        events.append("engine up")
        yield Engine()
        events.append("engine down")

    def sessions(engine: Engine) -> Iterator[str]:
        events.append("sessions up")
        yield "sessions"
        events.append("sessions down")

    registry.register(Engine, engine)
    registry.register("sessions", sessions)

    @Component(registry=registry)
    class Repo:
        def __init__(self, engine: Engine) -> None:
            self.engine = engine

        async def on_start(self) -> None:
            events.append("repo start")

        def on_stop(self) -> None:
            events.append("repo stop")

    @Component(registry=registry)
    class Cache:
        def __init__(self, repo: Repo) -> None:
            self.repo = repo

        def __enter__(self) -> Cache:
            events.append("cache enter")
            return self

        def __exit__(self, *exc: object) -> None:
            events.append("cache exit")

    @Component(registry=registry)
    class Client:
        def __init__(self, cache: Cache) -> None:
            self.cache = cache

        async def __aenter__(self) -> Client:
            events.append("client enter")
            return self

        async def __aexit__(self, *exc: object) -> None:
            events.append("client exit")

    await registry.start()
    assert registry.get("sessions") == "sessions"
    assert events == ["engine up", "sessions up", "repo start", "cache enter", "client enter"]
    events.clear()
    await registry.shutdown()
    assert events == ["client exit", "cache exit", "repo stop", "sessions down", "engine down"]


async def test_start_skips_lazy_singletons_and_registry_restarts() -> None:
    """``lazy=True`` singletons wait for first use; after shutdown, start builds anew."""
    registry = Registry()
    made: list[str] = []

    @Component(registry=registry)
    class Eager:
        def __init__(self) -> None:
            made.append("eager")

    @Component(lazy=True, registry=registry)
    class Later:
        def __init__(self) -> None:
            made.append("later")

    async with registry:
        assert made == ["eager"]
        first = registry.resolve(Eager)
    await registry.start()
    assert registry.resolve(Eager) is not first
    assert made == ["eager", "eager"]
    await registry.shutdown()


async def test_a_failing_closer_does_not_stop_the_others() -> None:
    """All closers run; the failures come back together as an ExceptionGroup."""
    registry = Registry()
    events: list[str] = []

    @Component(registry=registry)
    class Good:
        def on_stop(self) -> None:
            events.append("good")

    @Component(registry=registry)
    class Bad:
        def __init__(self, good: Good) -> None: ...

        def on_stop(self) -> None:
            raise OSError("disk gone")

    registry.resolve(Bad)
    with pytest.raises(ExceptionGroup) as info:
        await registry.shutdown()
    assert events == ["good"]
    assert isinstance(info.value.exceptions[0], OSError)


def test_async_hooks_need_an_async_resolve() -> None:
    """A component with async on_start cannot be made by sync resolve; the error says why."""
    registry = Registry()

    @Component(registry=registry)
    class Warm:
        async def on_start(self) -> None: ...

    with pytest.raises(AsyncResolutionError, match=r"Warm needs await"):
        registry.resolve(Warm)


def test_generator_factories_are_not_allowed_as_prototypes() -> None:
    """Prototypes are not tracked, so a teardown would never run: registration refuses."""
    registry = Registry()

    def conn() -> Iterator[int]:
        yield 1

    with pytest.raises(RegistrationError, match="prototypes are not tracked"):
        registry.register("conn", conn, scope="prototype")


async def test_prototypes_get_on_start_but_are_not_tracked() -> None:
    """on_start runs for each prototype; shutdown does not own them (no on_stop call)."""
    registry = Registry()
    started: list[object] = []
    stopped: list[object] = []

    @Component(scope="prototype", registry=registry)
    class Job:
        def on_start(self) -> None:
            started.append(self)

        def on_stop(self) -> None:
            stopped.append(self)

    a, b = registry.resolve(Job), registry.resolve(Job)
    assert started == [a, b]
    await registry.shutdown()
    assert stopped == []


def test_generator_must_yield_once() -> None:
    """A generator factory that yields twice is reported at close."""
    import asyncio

    registry = Registry()

    def twice() -> Iterator[int]:
        yield 1
        yield 2

    registry.register("n", twice)
    assert registry.get("n") == 1
    with pytest.raises(ExceptionGroup) as info:
        asyncio.run(registry.shutdown())
    assert "must yield exactly once" in str(info.value.exceptions[0])


def test_a_failing_constructor_is_not_cached_and_is_retried() -> None:
    """An exception from a constructor reaches the caller unchanged; the next resolve retries."""
    registry = Registry()
    attempts: list[int] = []

    @Component(registry=registry)
    class Flaky:
        def __init__(self) -> None:
            attempts.append(1)
            if len(attempts) == 1:
                raise ConnectionError("not yet")

    with pytest.raises(ConnectionError, match="not yet"):
        registry.resolve(Flaky)
    assert isinstance(registry.resolve(Flaky), Flaky)
    assert registry.resolve(Flaky) is registry.resolve(Flaky)
    assert len(attempts) == 2


async def test_request_scope_runs_every_closer_and_reports_failures() -> None:
    """A failing on_stop in a request does not skip the others; the error surfaces at exit."""
    registry = Registry()
    stopped: list[str] = []

    @Component(scope="request", registry=registry)
    class First:
        def on_stop(self) -> None:
            stopped.append("first")

    @Component(scope="request", registry=registry)
    class Second:
        def __init__(self, first: First) -> None: ...

        def on_stop(self) -> None:
            raise RuntimeError("flush failed")

    with pytest.raises(ExceptionGroup) as info:
        async with registry.request_scope():
            registry.resolve(Second)
    assert stopped == ["first"]
    assert str(info.value.exceptions[0]) == "flush failed"


def test_sync_request_scope_reports_an_async_closer() -> None:
    """Closing a plain ``with`` scope cannot await; an async on_stop is reported, not dropped."""
    registry = Registry()

    @Component(scope="request", registry=registry)
    class Conn:
        async def on_stop(self) -> None: ...

    with pytest.raises(ExceptionGroup) as info:
        with registry.request_scope():
            registry.resolve(Conn)
    assert "needs await" in str(info.value.exceptions[0])
