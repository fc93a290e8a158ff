"""CeleryExecutor with real ``rfs worker`` subprocesses on RabbitMQ and Redis brokers."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from rfs.pipeline.executors.base import AttemptStatus, InputRef, TaskAttempt
from rfs.pipeline.executors.celery import CeleryExecutor
from rfs.pipeline.io import FilesystemIOManager

from . import dist_tasks
from .celery_workers import WorkerFactory, worker_factory
from .conftest import pid_of, started

MakeAttempt = Callable[..., TaskAttempt]

BROKERS = [
    pytest.param("rabbitmq", marks=pytest.mark.service("rabbitmq", "redis"), id="rabbitmq"),
    pytest.param("redis", marks=pytest.mark.service("redis"), id="redis"),
]


@pytest.fixture
def queue() -> str:
    return f"rfs-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def broker_url(request: pytest.FixtureRequest, rabbitmq_url: str, redis_url: str) -> str:
    return rabbitmq_url if getattr(request, "param", "rabbitmq") == "rabbitmq" else redis_url


@pytest.fixture
def workers(broker_url: str, redis_url: str, queue: str, tmp_path: Path) -> Iterator[WorkerFactory]:
    with worker_factory(broker_url, redis_url, queue, tmp_path) as factory:
        yield factory


@pytest.fixture
async def executor(broker_url: str, redis_url: str, queue: str) -> AsyncIterator[CeleryExecutor]:
    ex = CeleryExecutor(broker_url, redis_url, queue=queue)
    await ex.start()
    try:
        yield ex
    finally:
        await ex.shutdown()


@pytest.mark.slow
@pytest.mark.parametrize("broker_url", BROKERS, indirect=True)
async def test_tasks_run_on_workers_through_the_io_manager(
    workers: WorkerFactory,
    executor: CeleryExecutor,
    make_attempt: MakeAttempt,
    io: FilesystemIOManager,
) -> None:
    """Sync, async and stream tasks run on a worker; outputs are read from the I/O manager."""
    await asyncio.to_thread(workers.start, 1, concurrency=2)
    first = await executor.submit(make_attempt(dist_tasks.add, params={"a": 2, "b": 3}))
    assert first.ok, first.error
    results = await asyncio.gather(
        executor.submit(make_attempt(dist_tasks.double, inputs={"x": InputRef("add")})),
        executor.submit(make_attempt(dist_tasks.acount_to, params={"n": 4})),
    )
    assert all(r.ok for r in results), [r.error for r in results]
    assert results[1].stream_count == 4
    square = await executor.submit(
        make_attempt(dist_tasks.async_square, inputs={"x": InputRef("double")})
    )
    failed = await executor.submit(make_attempt(dist_tasks.boom))
    assert square.ok and square.result_ids == ("output",)
    assert failed.status is AttemptStatus.FAILED and failed.error == "ValueError: boom"
    run_id = make_attempt(dist_tasks.noop).run_id
    assert io.load(run_id, "async_square", "output") == 100
    assert [io.load(run_id, "acount_to", i) for i in io.list_results(run_id, "acount_to")] == [
        0,
        1,
        2,
        3,
    ]


@pytest.mark.slow
@pytest.mark.service("rabbitmq", "redis")
async def test_killed_pool_process_task_is_requeued(
    workers: WorkerFactory, executor: CeleryExecutor, make_attempt: MakeAttempt, markers: Path
) -> None:
    """SIGKILL of the pool process running a task: the worker requeues it and it runs again."""
    (worker,) = await asyncio.to_thread(workers.start, 1)
    attempt = make_attempt(
        dist_tasks.block_first_attempt, params={"marker_dir": str(markers), "value": 5}
    )
    running = asyncio.ensure_future(executor.submit(attempt))
    child = pid_of(await started(markers))
    assert child != worker.process.pid and worker.owns(child)
    os.kill(child, signal.SIGKILL)
    outcome = await asyncio.wait_for(running, 60)
    assert outcome.ok, outcome.error
    assert await started(markers, 1)  # it ran a second time


@pytest.mark.slow
@pytest.mark.service("rabbitmq", "redis")
async def test_time_limits_mark_attempts_timed_out(
    workers: WorkerFactory,
    broker_url: str,
    redis_url: str,
    queue: str,
    make_attempt: MakeAttempt,
) -> None:
    """timeout=1: a sync infinite loop stops at the soft limit; one ignoring it, at the hard one."""
    await asyncio.to_thread(workers.start, 1, concurrency=2)
    executor = CeleryExecutor(broker_url, redis_url, queue=queue, hard_limit_grace=1.0)
    await executor.start()
    try:
        soft, hard = await asyncio.wait_for(
            asyncio.gather(
                executor.submit(make_attempt(dist_tasks.forever, timeout=1.0)),
                executor.submit(make_attempt(dist_tasks.stubborn, timeout=1.0)),
            ),
            30,
        )
        assert soft.status is AttemptStatus.TIMED_OUT, soft.error
        assert "soft time limit" in (soft.error or "")
        assert hard.status is AttemptStatus.TIMED_OUT, hard.error
        assert "hard time limit" in (hard.error or "")
        assert (await executor.submit(make_attempt(dist_tasks.noop))).ok
    finally:
        await executor.shutdown()
