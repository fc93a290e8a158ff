"""LocalExecutor: sync tasks on bounded worker threads, never on the event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from rfs.pipeline import (
    LocalExecutor,
    MemoryIOManager,
    MemoryRunStore,
    Planner,
    TaskRegistry,
    TaskState,
    run_pipeline,
)


async def _run(registry: TaskRegistry, executor: LocalExecutor, **kw: Any) -> Any:
    plan = Planner(registry).create_execution_plan()
    return await run_pipeline(
        plan, executor=executor, io_manager=MemoryIOManager(), run_store=MemoryRunStore(), **kw
    )


async def test_a_blocked_sync_task_does_not_block_the_loop(registry: TaskRegistry) -> None:
    """A sync task waiting on an event runs in a worker thread while an async task sets it."""
    go = threading.Event()
    loop_thread = threading.get_ident()

    @registry.task
    def waits() -> tuple[bool, bool]:
        return go.wait(10), threading.get_ident() != loop_thread

    @registry.task
    async def sets() -> None:
        await asyncio.sleep(0)
        go.set()

    result = (await _run(registry, LocalExecutor())).unwrap()
    assert result.output("waits") == (True, True)


async def test_threads_stay_bounded_and_every_task_finishes(registry: TaskRegistry) -> None:
    """With max_threads=2, at most two sync tasks run at once, on at most two threads."""
    lock = threading.Lock()
    running, peak, threads = 0, 0, set()

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            threads.add(threading.get_ident())
        threading.Event().wait(0.01)
        with lock:
            running -= 1

    for i in range(8):
        registry.task(work, name=f"w{i}")
    executor = LocalExecutor(max_threads=2)
    try:
        result = (await _run(registry, executor)).unwrap()
    finally:
        await executor.shutdown()
    assert len(result.succeeded) == 8
    assert peak == 2 and len(threads) == 2


async def test_max_concurrency_holds_for_sync_tasks(registry: TaskRegistry) -> None:
    """max_concurrency bounds sync tasks too, even with more threads available."""
    lock = threading.Lock()
    running, peak = 0, 0

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        threading.Event().wait(0.01)
        with lock:
            running -= 1

    for i in range(9):
        registry.task(work, name=f"w{i}")
    (await _run(registry, LocalExecutor(max_threads=8), max_concurrency=3)).unwrap()
    assert peak == 3


async def test_sync_failures_and_timeouts_come_back_as_outcomes(registry: TaskRegistry) -> None:
    """An exception in a thread fails its task; a stuck one is reported timed out."""
    unblock = threading.Event()

    @registry.task
    def raises() -> None:
        raise ValueError("boom")

    @registry.task(timeout=0.05)
    def stuck() -> None:
        unblock.wait(10)

    try:
        error = (await _run(registry, LocalExecutor())).error
    finally:
        unblock.set()
    assert "ValueError: boom" in error.failed_tasks["raises"]
    assert error.result.tasks["stuck"].state is TaskState.TIMED_OUT


def test_one_executor_serves_runs_on_successive_event_loops() -> None:
    """A warm executor reused by two asyncio.run calls delivers results to the right loop."""
    executor = LocalExecutor(max_threads=1)
    registry = TaskRegistry()
    for i in range(20):
        registry.task(lambda i=i: i, name=f"t{i}")

    async def once() -> list[str]:
        await executor.start()
        return sorted((await _run(registry, executor)).unwrap().succeeded)

    first = asyncio.run(once())
    second = asyncio.run(once())
    asyncio.run(executor.shutdown())
    assert first == second and len(first) == 20
