"""Scopes: singleton, prototype and request, including request isolation across tasks."""

from __future__ import annotations

import asyncio
import threading

import pytest

from rfs.di import Component, Registry, Scope, ScopeNotActiveError


def test_singleton_is_shared_and_prototype_is_fresh() -> None:
    """A singleton resolves to one object; a prototype to a new one each time."""
    registry = Registry()

    @Component(registry=registry)
    class Config:
        pass

    @Component(scope=Scope.PROTOTYPE, registry=registry)
    class Handler:
        def __init__(self, config: Config) -> None:
            self.config = config

    first, second = registry.resolve(Handler), registry.resolve(Handler)
    assert first is not second
    assert first.config is second.config is registry.resolve(Config)


def test_transient_is_an_alias_of_prototype() -> None:
    """``Scope.TRANSIENT`` and ``"transient"`` mean prototype."""
    assert Scope.TRANSIENT is Scope.PROTOTYPE
    registry = Registry()

    @Component(scope="transient", registry=registry)
    class Thing:
        pass

    assert registry.resolve(Thing) is not registry.resolve(Thing)


async def test_request_scope_shares_within_and_isolates_between_concurrent_scopes() -> None:
    """Two overlapping tasks each see their own request object, the same one within a task."""
    registry = Registry()

    @Component(scope="request", registry=registry)
    class Session:
        pass

    @Component(scope="prototype", registry=registry)
    class Repo:
        def __init__(self, session: Session) -> None:
            self.session = session

    both_inside = asyncio.Barrier(2)

    async def handle() -> tuple[Session, Session, Session]:
        async with registry.request_scope():
            first = registry.resolve(Session)
            await both_inside.wait()
            return first, registry.resolve(Session), registry.resolve(Repo).session

    (a1, a2, a3), (b1, b2, b3) = await asyncio.gather(handle(), handle())
    assert a1 is a2 is a3 and b1 is b2 is b3
    assert a1 is not b1
    with pytest.raises(ScopeNotActiveError):
        registry.resolve(Session)


async def test_request_scope_closes_its_objects_in_reverse_order() -> None:
    """At scope exit request objects are stopped newest first; singletons stay open."""
    registry = Registry()
    events: list[str] = []

    @Component(scope="request", registry=registry)
    class Conn:
        def on_stop(self) -> None:
            events.append("conn")

    @Component(scope="request", registry=registry)
    class Tx:
        def __init__(self, conn: Conn) -> None:
            self.conn = conn

        async def on_stop(self) -> None:
            events.append("tx")

    async with registry.request_scope():
        await registry.aresolve(Tx)
    assert events == ["tx", "conn"]


def test_sync_request_scope_for_threads() -> None:
    """``with registry.request_scope():`` works in plain threads, each with its own objects."""
    registry = Registry()

    @Component(scope="request", registry=registry)
    class Session:
        pass

    seen: list[Session] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        with registry.request_scope():
            session = registry.resolve(Session)
            barrier.wait()
            assert registry.resolve(Session) is session
            seen.append(session)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 2


async def test_nested_request_scopes_restore_the_outer_one() -> None:
    """An inner scope has its own objects; leaving it brings the outer scope's back."""
    registry = Registry()

    @Component(scope="request", registry=registry)
    class Session:
        pass

    async with registry.request_scope():
        outer = registry.resolve(Session)
        async with registry.request_scope():
            assert registry.resolve(Session) is not outer
        assert registry.resolve(Session) is outer
