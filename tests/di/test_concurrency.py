"""Concurrent first resolves create a singleton exactly once (threads and asyncio tasks)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from rfs.di import Component, Registry


def test_one_hundred_threads_create_a_singleton_once() -> None:
    """100 threads released together all receive the one instance, built once."""
    registry = Registry()
    created: list[object] = []
    start = threading.Barrier(100)

    @Component(registry=registry)
    class Slow:
        def __init__(self) -> None:
            created.append(self)
            threading.Event().wait(0.01)  # widen the race window

    def first_resolve() -> object:
        start.wait()
        return registry.resolve(Slow)

    with ThreadPoolExecutor(max_workers=100) as pool:
        results = list(pool.map(lambda _: first_resolve(), range(100)))
    assert len(created) == 1
    assert all(r is created[0] for r in results)


async def test_one_hundred_tasks_create_an_async_singleton_once() -> None:
    """100 tasks awaiting an async factory together share one creation."""
    registry = Registry()
    calls = 0
    gate = asyncio.Event()

    class Pool:
        pass

    async def open_pool() -> Pool:
        nonlocal calls
        calls += 1
        await gate.wait()
        return Pool()

    registry.register(Pool, open_pool)
    tasks = [asyncio.create_task(registry.aresolve(Pool)) for _ in range(100)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert calls == 1
    assert all(r is results[0] for r in results)


async def test_tasks_resolving_a_sync_singleton_concurrently() -> None:
    """Sync singletons resolved from 100 tasks (and a thread pool) are also made once."""
    registry = Registry()
    created: list[object] = []

    @Component(registry=registry)
    class Config:
        def __init__(self) -> None:
            created.append(self)

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=8) as pool:
        in_threads = [loop.run_in_executor(pool, registry.resolve, Config) for _ in range(50)]
        in_tasks = [asyncio.create_task(registry.aresolve(Config)) for _ in range(50)]
        results = await asyncio.gather(*in_threads, *in_tasks)
    assert len(created) == 1 and all(r is created[0] for r in results)


async def test_failed_async_creation_is_retried_by_the_next_resolve() -> None:
    """If the factory fails, every waiter sees the error and a later resolve tries again."""
    registry = Registry()
    attempts = 0

    class Conn:
        pass

    async def connect() -> Conn:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0)
        if attempts == 1:
            raise ConnectionError("down")
        return Conn()

    registry.register(Conn, connect)
    results = await asyncio.gather(
        *(registry.aresolve(Conn) for _ in range(10)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    assert isinstance(await registry.aresolve(Conn), Conn)
    assert attempts == 2


async def test_cancelling_the_creating_task_lets_a_waiter_take_over() -> None:
    """Waiters of a cancelled creation are not cancelled; one of them creates the object."""
    registry = Registry()
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    class Pool:
        pass

    async def open_pool() -> Pool:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return Pool()

    registry.register(Pool, open_pool)
    creator = asyncio.create_task(registry.aresolve(Pool))
    await started.wait()
    waiters = [asyncio.create_task(registry.aresolve(Pool)) for _ in range(5)]
    await asyncio.sleep(0)
    creator.cancel()
    release.set()
    results = await asyncio.gather(*waiters)
    assert creator.cancelled()
    assert calls == 2 and all(r is results[0] for r in results)
