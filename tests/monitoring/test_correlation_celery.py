"""The run's correlation id reaches a live Celery worker: the attempt runs under it and the
worker-side log entries carry it (RabbitMQ broker, Redis result backend)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from pipeline_dist.celery_workers import worker_factory
from rfs.monitoring import correlation_scope
from rfs.pipeline import FilesystemIOManager, MemoryRunStore, run_pipeline
from rfs.pipeline.executors.celery import CeleryExecutor

from . import e2e_tasks


@pytest.mark.slow
@pytest.mark.service("rabbitmq", "redis")
async def test_celery_worker_attempt_logs_under_the_runs_id(
    rabbitmq_url: str, redis_url: str, tmp_path: Path
) -> None:
    """A pipeline on CeleryExecutor: the worker's attempt sees the run's id and logs with it."""
    queue = f"rfs-test-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.jsonl"
    env = {"RFS_TEST_WORKER_LOG": str(log)}
    cid = f"celery-{uuid.uuid4().hex[:12]}"
    runs = MemoryRunStore()
    with worker_factory(rabbitmq_url, redis_url, queue, tmp_path, "monitoring.e2e_tasks", env) as f:
        (worker,) = await asyncio.to_thread(f.start, 1)
        executor = CeleryExecutor(rabbitmq_url, redis_url, queue=queue)
        try:
            with correlation_scope(cid):
                run = await run_pipeline(registry=e2e_tasks.registry, executor=executor,
                                         io_manager=FilesystemIOManager(tmp_path / "outputs"),
                                         run_store=runs)  # fmt: skip
        finally:
            await executor.shutdown()
        result = run.unwrap()
        where = result.output("where")
        assert where["correlation_id"] == cid and worker.owns(where["pid"])
    record = await runs.get_run(result.run_id)
    assert record is not None and record.spec["correlation_id"] == cid
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    ran = [e for e in entries if e["event"] == "where ran"]
    assert [(e["correlation_id"], e["pid"]) for e in ran] == [(cid, where["pid"])]
