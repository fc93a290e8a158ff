"""MultiprocessExecutor: warm workers, sync/async/stream tasks, timeouts and killed workers."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import time
import types
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from rfs.pipeline.executors.base import AttemptStatus, InputRef, TaskAttempt
from rfs.pipeline.executors.multiprocess import MultiprocessExecutor
from rfs.pipeline.io import FilesystemIOManager, MemoryIOManager

from . import dist_tasks
from .conftest import pid_of, started, wait_until

MakeAttempt = Callable[..., TaskAttempt]


@pytest.fixture(scope="module")
def executor() -> Iterator[MultiprocessExecutor]:
    """One warm pool for the module: each test's event loop picks it up (as a second run would)."""
    ex = MultiprocessExecutor(max_workers=2)
    asyncio.run(ex.start())
    try:
        yield ex
    finally:
        asyncio.run(ex.shutdown())


async def test_outputs_go_through_the_io_manager(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt, io: FilesystemIOManager
) -> None:
    """A worker loads inputs and saves outputs itself; the outcome carries only ids."""
    first = await executor.submit(make_attempt(dist_tasks.add, params={"a": 2, "b": 3}))
    assert first.ok and first.result_ids == ("output",)
    second = await executor.submit(make_attempt(dist_tasks.double, inputs={"x": InputRef("add")}))
    third = await executor.submit(
        make_attempt(dist_tasks.async_square, inputs={"x": InputRef("double")})
    )
    assert second.ok and third.ok
    run_id = make_attempt(dist_tasks.noop).run_id
    assert io.load(run_id, "double", "output") == 10
    assert io.load(run_id, "async_square", "output") == 100


async def test_streams_are_saved_item_by_item(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt, io: FilesystemIOManager
) -> None:
    """Sync and async generators save each item; a downstream task reads the stream lazily."""
    sync = await executor.submit(make_attempt(dist_tasks.count_to, params={"n": 5}))
    assync = await executor.submit(make_attempt(dist_tasks.acount_to, params={"n": 4}))
    assert (sync.stream_count, assync.stream_count) == (5, 4)
    summed = await executor.submit(
        make_attempt(dist_tasks.total, inputs={"items": InputRef("count_to", stream_count=5)})
    )
    assert summed.ok
    assert io.load(make_attempt(dist_tasks.noop).run_id, "total", "output") == 10


async def test_workers_are_reused(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt
) -> None:
    """Many tasks run on the same few processes: no process is started per task."""
    pids = set(executor.worker_pids)
    outcomes = await asyncio.gather(
        *(executor.submit(make_attempt(dist_tasks.noop, name=f"n{i}")) for i in range(20))
    )
    assert all(o.ok for o in outcomes)
    assert set(executor.worker_pids) == pids


async def test_task_errors_and_unpicklable_outputs_are_outcomes(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt
) -> None:
    """An exception or an output that cannot be saved fails the attempt, not the executor."""
    failed = await executor.submit(make_attempt(dist_tasks.boom))
    assert failed.status is AttemptStatus.FAILED
    assert failed.error == "ValueError: boom" and failed.retryable
    unsaved = await executor.submit(make_attempt(dist_tasks.unpicklable))
    assert unsaved.status is AttemptStatus.FAILED and not unsaved.retryable
    assert "could not be saved" in (unsaved.error or "")
    assert (await executor.submit(make_attempt(dist_tasks.noop))).ok


async def test_locally_defined_function_is_refused(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt
) -> None:
    """A task defined inside a function cannot be imported by a worker: a clear, final error."""

    def local() -> None: ...

    outcome = await executor.submit(make_attempt(local))
    assert not outcome.ok and not outcome.retryable
    assert "define it at module level" in (outcome.error or "")


@pytest.mark.slow
async def test_infinite_loop_is_killed_on_timeout(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt
) -> None:
    """A sync infinite loop with timeout=1 is killed, reported timed out, and the pool recovers."""
    before = set(executor.worker_pids)
    outcome = await executor.submit(make_attempt(dist_tasks.forever, timeout=1.0))
    assert outcome.status is AttemptStatus.TIMED_OUT
    assert "timed out after 1s" in (outcome.error or "")
    assert 0.9 <= outcome.duration < 10

    def replaced() -> bool:
        pids = set(executor.worker_pids)
        return len(pids) == 2 and pids != before

    for _ in range(500):  # the loop must run for the pool to notice the exit
        if replaced():
            break
        await asyncio.sleep(0.01)
    assert replaced()
    assert (await executor.submit(make_attempt(dist_tasks.add, params={"a": 1, "b": 1}))).ok


@pytest.mark.slow
async def test_worker_killed_mid_task_is_reported_promptly(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt, markers: Path
) -> None:
    """SIGKILL of the worker running a task yields a retryable failure at once, not a hang."""
    attempt = make_attempt(
        dist_tasks.block_first_attempt, params={"marker_dir": str(markers), "value": 7}
    )
    running = asyncio.ensure_future(executor.submit(attempt))
    os.kill(pid_of(await started(markers)), signal.SIGKILL)
    outcome = await asyncio.wait_for(running, 10)
    assert outcome.status is AttemptStatus.FAILED and outcome.retryable
    assert outcome.error_type == "WorkerCrashed" and "SIGKILL" in (outcome.error or "")
    retried = await executor.submit(
        make_attempt(
            dist_tasks.block_first_attempt,
            attempt=2,
            params={"marker_dir": str(markers), "value": 7},
        )
    )
    assert retried.ok


async def test_pool_survives_a_second_event_loop(make_attempt: MakeAttempt) -> None:
    """Warm workers stay usable from a later ``asyncio.run`` (a second run in the same process)."""
    ex = MultiprocessExecutor(max_workers=1)
    await ex.start()
    try:
        pids = ex.worker_pids

        def second_loop() -> bool:
            return asyncio.run(ex.submit(make_attempt(dist_tasks.noop))).ok

        assert await asyncio.to_thread(second_loop)
        assert (await ex.submit(make_attempt(dist_tasks.noop))).ok
        assert ex.worker_pids == pids
    finally:
        await ex.shutdown()


async def test_shutdown_stops_every_worker() -> None:
    """After shutdown no worker process is left running."""
    ex = MultiprocessExecutor(max_workers=2)
    await ex.start()
    pids = ex.worker_pids
    await ex.shutdown()
    await ex.shutdown()
    for p in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(p, 0)


async def test_cancelled_submit_kills_its_worker(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt
) -> None:
    """Cancelling a running submit (an aborted run) kills that worker; a fresh one replaces it."""
    before = set(executor.worker_pids)
    running = asyncio.ensure_future(executor.submit(make_attempt(dist_tasks.forever)))
    await asyncio.sleep(0.2)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    for _ in range(500):
        pids = set(executor.worker_pids)
        if len(pids) == 2 and pids != before:
            break
        await asyncio.sleep(0.01)
    assert len(pids) == 2 and len(pids & before) == 1
    assert (await executor.submit(make_attempt(dist_tasks.noop))).ok


async def test_arguments_a_worker_cannot_unpickle_fail_the_attempt(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt
) -> None:
    """A parameter whose class exists only in the driver fails the attempt, not the worker."""
    ghost = types.ModuleType("rfs_ghost_module")
    exec("class Ghost:\n    pass\n", ghost.__dict__)
    sys.modules["rfs_ghost_module"] = ghost
    try:
        outcome = await executor.submit(
            make_attempt(dist_tasks.add, params={"a": ghost.Ghost(), "b": 1})
        )
    finally:
        del sys.modules["rfs_ghost_module"]
    assert outcome.status is AttemptStatus.FAILED
    assert "rfs_ghost_module" in (outcome.error or "")
    assert (await executor.submit(make_attempt(dist_tasks.noop))).ok


DRIVER = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from pipeline_dist import dist_tasks
from pipeline_dist.conftest import _attempt_for
from rfs.pipeline.executors.multiprocess import MultiprocessExecutor

async def main():
    ex = MultiprocessExecutor(max_workers=1)
    await ex.start()
    print(ex.worker_pids[0], flush=True)
    await ex.submit(_attempt_for(dist_tasks.forever, sys.argv[2]))

asyncio.run(main())
"""


@pytest.mark.slow
def test_workers_die_with_a_killed_driver(tmp_path: Path) -> None:
    """A driver SIGKILLed while its worker spins in a loop leaves no worker process behind."""
    tests_dir = str(Path(__file__).resolve().parent.parent)
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, tests_dir, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert driver.stdout is not None
        worker_pid = int(driver.stdout.readline())
        time.sleep(0.3)  # let the task start spinning
    finally:
        driver.kill()
        driver.wait()

    def gone() -> bool:
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            return True
        # a zombie (exited, not yet reaped by init) counts as gone
        return Path(f"/proc/{worker_pid}/stat").read_text().split()[2] == "Z"

    wait_until(gone, timeout=10)


async def test_task_from_a_file_not_importable_by_name(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt, tmp_path: Path
) -> None:
    """A task module loaded from a path (not on sys.path) is loaded by path in the worker."""
    source = tmp_path / "elsewhere" / "file_tasks.py"
    source.parent.mkdir()
    source.write_text("def triple(x: int) -> int:\n    return 3 * x\n")
    name = f"rfs_by_path_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        outcome = await executor.submit(make_attempt(module.triple, params={"x": 4}))
    finally:
        del sys.modules[name]
    assert outcome.ok, outcome.error


async def test_process_local_io_manager_is_refused(
    executor: MultiprocessExecutor, make_attempt: MakeAttempt
) -> None:
    """A MemoryIOManager cannot carry outputs between processes: a final, explicit failure."""
    attempt = replace(make_attempt(dist_tasks.noop), io_manager=MemoryIOManager())
    outcome = await executor.submit(attempt)
    assert not outcome.ok and not outcome.retryable
    assert "FilesystemIOManager" in (outcome.error or "")
