"""Whole runs (``run_pipeline``) on the local, multiprocess and Celery executors."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rfs.pipeline import (
    FilesystemIOManager,
    LocalExecutor,
    MemoryRunStore,
    MultiprocessExecutor,
    TaskState,
    run_pipeline,
)
from rfs.pipeline.executors.celery import CeleryExecutor

from . import dist_pipeline
from .celery_workers import WorkerFactory, worker_factory
from .conftest import pid_of, started

EXPECTED = {"total": 360, "large": [5, 6, 7, 8]}


async def _run(executor: Any, tmp_path: Path, registry: Any = None, **kw: Any) -> Any:
    return await run_pipeline(
        registry=registry or dist_pipeline.registry,
        executor=executor,
        io_manager=FilesystemIOManager(tmp_path / "outputs"),
        run_store=MemoryRunStore(),
        **kw,
    )


def _start_faults(executor: Any, tmp_path: Path, markers: Path) -> asyncio.Future[Any]:
    """Run the faults pipeline in the background; its flaky task blocks on the first attempt."""
    params = {"flaky": {"marker_dir": str(markers)}}
    return asyncio.ensure_future(_run(executor, tmp_path, dist_pipeline.faults, params=params))


@pytest.fixture
def celery_env(
    rabbitmq_url: str, redis_url: str, tmp_path: Path
) -> Iterator[tuple[WorkerFactory, str]]:
    queue = f"rfs-test-{uuid.uuid4().hex[:10]}"
    with worker_factory(
        rabbitmq_url, redis_url, queue, tmp_path, "pipeline_dist.dist_pipeline"
    ) as f:
        yield f, queue


async def test_same_results_on_local_and_multiprocess(tmp_path: Path) -> None:
    """The same pipeline gives the same outputs in-process and in worker processes."""
    local = (await _run(LocalExecutor(), tmp_path / "local")).unwrap()
    process_executor = MultiprocessExecutor(max_workers=2)
    try:
        procs = (await _run(process_executor, tmp_path / "procs")).unwrap()
    finally:
        await process_executor.shutdown()
    assert local.output("summary") == procs.output("summary") == EXPECTED
    assert procs.tasks["large"].stream_count == 4


@pytest.mark.slow
@pytest.mark.service("rabbitmq", "redis")
async def test_same_results_on_celery(
    celery_env: tuple[WorkerFactory, str], rabbitmq_url: str, redis_url: str, tmp_path: Path
) -> None:
    """The same pipeline gives the same outputs on Celery workers (RabbitMQ broker)."""
    workers, queue = celery_env
    await asyncio.to_thread(workers.start, 1, concurrency=2)
    executor = CeleryExecutor(rabbitmq_url, redis_url, queue=queue)
    try:
        result = (await _run(executor, tmp_path)).unwrap()
    finally:
        await executor.shutdown()
    assert result.output("summary") == EXPECTED
    assert result.output("large") == [5, 6, 7, 8]


@pytest.mark.slow
async def test_killed_worker_task_is_retried_and_run_completes(
    tmp_path: Path, markers: Path
) -> None:
    """A worker SIGKILLed mid-task: that attempt fails, the retry succeeds, the run completes."""
    executor = MultiprocessExecutor(max_workers=2)
    try:
        run = _start_faults(executor, tmp_path, markers)
        os.kill(pid_of(await started(markers)), signal.SIGKILL)
        result = (await asyncio.wait_for(run, 60)).unwrap()
    finally:
        await executor.shutdown()
    assert result.tasks["flaky"].attempts == 2
    assert result.output("after") == 42


@pytest.mark.slow
async def test_stuck_sync_task_times_out(tmp_path: Path) -> None:
    """A sync infinite loop with timeout=1 is killed and the task marked timed out."""
    executor = MultiprocessExecutor(max_workers=1)
    try:
        failure = (await _run(executor, tmp_path, dist_pipeline.stuck)).unwrap_error()
        assert executor.worker_pids  # the pool replaced the killed worker
    finally:
        await executor.shutdown()
    assert failure.result is not None
    assert failure.result.tasks["spin"].state is TaskState.TIMED_OUT
    assert "timed out after 1s" in failure.failed_tasks["spin"]


@pytest.mark.slow
@pytest.mark.service("rabbitmq", "redis")
async def test_killed_celery_worker_task_completes_on_another(
    celery_env: tuple[WorkerFactory, str],
    rabbitmq_url: str,
    redis_url: str,
    tmp_path: Path,
    markers: Path,
) -> None:
    """A Celery worker SIGKILLed mid-task: the broker redelivers it and the other worker ends it."""
    workers, queue = celery_env
    first, second = await asyncio.to_thread(workers.start, 2)
    executor = CeleryExecutor(rabbitmq_url, redis_url, queue=queue)
    try:
        run = _start_faults(executor, tmp_path, markers)
        pid = pid_of(await started(markers))
        victim, survivor = (first, second) if first.owns(pid) else (second, first)
        assert victim.owns(pid)
        victim.kill()
        result = (await asyncio.wait_for(run, 60)).unwrap()
    finally:
        await executor.shutdown()
    assert result.output("after") == 42
    assert result.tasks["flaky"].attempts == 1  # redelivered by the broker, not retried
    assert survivor.owns(pid_of(await started(markers, 1)))
