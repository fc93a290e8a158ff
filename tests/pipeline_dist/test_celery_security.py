"""A real ``rfs worker`` fed crafted messages by a plain Celery client runs none of them."""

from __future__ import annotations

import asyncio
import base64
import json
import pickle
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rfs.pipeline.executors.attempt import AttemptStatus
from rfs.pipeline.executors.celery import CeleryExecutor

from . import dist_tasks
from .celery_workers import WorkerFactory, worker_factory
from .conftest import wait_until

TASK_NAME = "rfs.pipeline.run_attempt"


class _Evil:
    """Unpickling this creates ``path`` (stands for any code an attacker wants run)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def _crafted(tmp_path: Path) -> dict[str, tuple[str, Path]]:
    """Messages an attacker with broker access could publish, each with its marker file."""
    pickled = {name: tmp_path / f"pwned-{name}" for name in ("bare", "envelope", "os")}
    bare = base64.b64encode(pickle.dumps(_Evil(pickled["bare"]))).decode()
    envelope = json.dumps(
        {
            "rfs": 1,
            "format": "pickle",
            "body": base64.b64encode(pickle.dumps(_Evil(pickled["envelope"]))).decode(),
        }
    )
    body = {
        "run_id": "r", "task_name": "t", "attempt": 1, "kind": "sync", "max_retries": 0,
        "ref": {"module": "os", "qualname": "system", "file": None},
        "params": {"command": f"touch {pickled['os']}"},
        "io": {"type": "filesystem", "base_path": str(tmp_path), "serializer": {"name": "json"}},
    }  # fmt: skip
    as_json = json.dumps({"rfs": 1, "format": "json", "body": json.dumps(body)})
    return {
        "bare": (bare, pickled["bare"]),
        "envelope": (envelope, pickled["envelope"]),
        "os": (as_json, pickled["os"]),
    }


def _publish(broker_url: str, backend_url: str, queue: str, message: str) -> dict[str, Any]:
    """Send ``message`` with a plain Celery client (no rfs code) and wait for the result."""
    from celery import Celery

    client = Celery("attacker", broker=broker_url, backend=backend_url, set_as_current=False)
    try:
        result = client.send_task(TASK_NAME, args=[message], queue=queue)
        outcome: dict[str, Any] = result.get(timeout=60)
        return outcome
    finally:
        client.close()


@pytest.fixture
def queue() -> str:
    return f"rfs-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def plain_workers(
    rabbitmq_url: str, redis_url: str, queue: str, tmp_path: Path
) -> Iterator[WorkerFactory]:
    with worker_factory(rabbitmq_url, redis_url, queue, tmp_path) as factory:
        yield factory


@pytest.mark.slow
@pytest.mark.service("rabbitmq", "redis")
async def test_crafted_messages_run_nothing_on_a_worker_without_key(
    plain_workers: WorkerFactory, rabbitmq_url: str, redis_url: str, queue: str, tmp_path: Path
) -> None:
    """A bare pickle, an unsigned pickle envelope and JSON naming os.system are refused with a
    logged reason; no marker file appears; a genuine JSON attempt still runs."""
    (worker,) = await asyncio.to_thread(plain_workers.start, 1)
    for name, (message, marker) in _crafted(tmp_path).items():
        outcome = await asyncio.to_thread(_publish, rabbitmq_url, redis_url, queue, message)
        assert outcome["status"] == "failed" and outcome["error_type"] == "AttemptRejected", name
        assert outcome["retryable"] is False
        assert not marker.exists(), name
    log = await asyncio.to_thread(
        wait_until, lambda: worker.log_text().count(f"refused a {TASK_NAME} message") >= 3
    )
    assert log
    text = worker.log_text()
    assert "bare pickle is never loaded" in text
    assert "unsigned pickles are never loaded" in text
    assert "neither a registered @task" in text
    executor = CeleryExecutor(rabbitmq_url, redis_url, queue=queue)
    await executor.start()
    try:
        attempt = dist_tasks_attempt(tmp_path)
        assert (await executor.submit(attempt)).ok
    finally:
        await executor.shutdown()


def dist_tasks_attempt(tmp_path: Path) -> Any:
    """An honest attempt of ``dist_tasks.add`` (JSON params, filesystem outputs)."""
    from rfs.pipeline.executors.attempt import TaskAttempt, TaskRef
    from rfs.pipeline.io import FilesystemIOManager
    from rfs.pipeline.kinds import TaskKind

    return TaskAttempt(
        run_id="honest",
        task_name="add",
        attempt=1,
        ref=TaskRef.of(dist_tasks.add),
        kind=TaskKind.SYNC,
        io_manager=FilesystemIOManager(tmp_path / "out"),
        params={"a": 1, "b": 2},
    )


@pytest.mark.slow
@pytest.mark.service("redis")
async def test_a_worker_with_a_key_runs_only_what_that_key_signed(
    redis_url: str, queue: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With RFS_SIGNING_KEY, signed attempts (JSON and, for tuple params, pickle) run; one
    signed with another key is refused; a crafted pickle runs nothing."""
    env = {"RFS_SIGNING_KEY": "shared-secret"}
    with worker_factory(redis_url, redis_url, queue, tmp_path, env=env) as workers:
        await asyncio.to_thread(workers.start, 1)
        monkeypatch.setenv("RFS_SIGNING_KEY", "shared-secret")  # the driver's key
        good = CeleryExecutor(redis_url, redis_url, queue=queue)
        bad = CeleryExecutor(redis_url, redis_url, queue=queue, signing_key="wrong")
        await good.start()
        await bad.start()
        try:
            honest = dist_tasks_attempt(tmp_path)
            assert (await good.submit(honest)).ok
            pickled = replace(
                honest, task_name="total", ref=type(honest.ref).of(dist_tasks.total),
                params={"items": (1, 2, 3)},
            )  # fmt: skip
            total = await good.submit(pickled)
            assert total.ok, total.error
            assert honest.io_manager.load("honest", "total", "output") == 6
            refused = await bad.submit(honest)
            assert refused.status is AttemptStatus.FAILED
            assert refused.error_type == "AttemptRejected" and not refused.retryable
            assert "bad signature" in (refused.error or "")
        finally:
            await good.shutdown()
            await bad.shutdown()
        message, marker = _crafted(tmp_path)["bare"]
        outcome = await asyncio.to_thread(_publish, redis_url, redis_url, queue, message)
        assert outcome["error_type"] == "AttemptRejected"
        assert not marker.exists()
