"""Executor dispatch: a no-op task on warm worker processes, and a Celery round trip.

Cases (microseconds per task, one task at a time, best of several rounds):

* pool round trip: our warm ``WorkerPool.run(noop)`` against
  ``concurrent.futures.ProcessPoolExecutor.submit(noop).result()`` on warm workers;
* whole attempt: ``MultiprocessExecutor.submit`` of a no-op task (attempt pickled, context
  set, outcome returned), with its output discarded, then saved to a file by a
  ``FilesystemIOManager`` in the worker;
* Celery: ``CeleryExecutor.submit`` of the same attempt through RabbitMQ and a Redis result
  backend to an ``rfs worker`` subprocess, against Celery's own ``send_task(...).get()`` of
  the same message. Skipped when the servers are not running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks._harness import Row, report
from rfs.pipeline.executors._procpool import WorkerPool
from rfs.pipeline.executors.base import TaskAttempt, TaskRef
from rfs.pipeline.executors.multiprocess import MultiprocessExecutor
from rfs.pipeline.io import FilesystemIOManager
from rfs.pipeline.registry import TaskKind

BROKER = os.environ.get("RFS_BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
BACKEND = os.environ.get("RFS_BENCH_BACKEND_URL", "redis://127.0.0.1:6379/0")


def noop() -> None:
    """The task being dispatched."""


class NullIOManager:
    """Discards outputs: isolates the executor's own overhead from storage cost."""

    def save(self, run_id: str, task_name: str, task_result_id: str, value: Any) -> str:
        return "null"


def _attempt(io: Any, i: int = 0) -> TaskAttempt:
    return TaskAttempt(
        run_id="bench",
        task_name=f"noop{i}",
        attempt=1,
        ref=TaskRef.of(noop),
        kind=TaskKind.SYNC,
        io_manager=io,
    )


async def _best_us(call: Callable[[], Awaitable[Any]], number: int, repeat: int = 5) -> float:
    for _ in range(min(number, 20)):  # warm up
        await call()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            await call()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def _sync_best_us(call: Callable[[], Any], number: int, repeat: int = 5) -> float:
    for _ in range(20):
        call()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


async def _process_rows(io: FilesystemIOManager) -> list[Row]:
    pool = WorkerPool(1)
    await pool.start()
    try:
        ours_pool = await _best_us(lambda: pool.run(noop), 2000)
    finally:
        await pool.aclose()
    executor = MultiprocessExecutor(max_workers=1)
    await executor.start()
    try:
        bare = _attempt(NullIOManager())
        ours_bare = await _best_us(lambda: executor.submit(bare), 1000)
        attempt = _attempt(io)
        ours_attempt = await _best_us(lambda: executor.submit(attempt), 1000)
    finally:
        await executor.shutdown()
    with ProcessPoolExecutor(max_workers=1) as peer:
        theirs = _sync_best_us(lambda: peer.submit(noop).result(), 2000)
    return [
        Row(
            "warm no-op dispatch (pool round trip)",
            ours_pool,
            {"ProcessPoolExecutor": theirs},
            "µs",
        ),
        Row(
            "MultiprocessExecutor.submit (no-op, output discarded)",
            ours_bare,
            {"ProcessPoolExecutor": theirs},
            "µs",
        ),
        Row(
            "MultiprocessExecutor.submit (no-op, output saved to a file)",
            ours_attempt,
            {"ProcessPoolExecutor": theirs},
            "µs",
        ),
    ]


def _up(url: str, default_port: int) -> bool:
    parsed = urlsplit(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1.0
        ):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _celery_worker(queue: str, log: Path) -> Iterator[None]:
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    cmd = [sys.executable, "-c", "from rfs.cli.main import main; main()", "worker"]
    cmd += ["--broker", BROKER, "--backend", BACKEND, "--queue", queue, "-c", "1"]
    cmd += ["--tasks", "benchmarks.bench_executors", "-n", f"bench-{queue}@localhost"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        from kombu import Connection

        with contextlib.suppress(Exception), Connection(BROKER) as conn:
            conn.default_channel.queue_delete(queue)


async def _celery_rows(io: FilesystemIOManager, tmp: Path) -> list[Row]:
    if not (_up(BROKER, 5672) and _up(BACKEND, 6379)):
        print(f"celery case skipped: {BROKER} or {BACKEND} not reachable")
        return []
    from rfs.pipeline.executors.celery import CeleryExecutor
    from rfs.pipeline.executors.celery_app import TASK_NAME, encode_attempt

    queue = f"rfs-bench-{uuid.uuid4().hex[:8]}"
    with _celery_worker(queue, tmp / "worker.log"):
        executor = CeleryExecutor(BROKER, BACKEND, queue=queue)
        await executor.start()
        try:
            attempt = _attempt(io)
            ours = await _best_us(lambda: executor.submit(attempt), 100, repeat=3)
            app = executor.app
            blob = encode_attempt(attempt)

            def raw() -> Any:
                return app.send_task(TASK_NAME, args=[blob], queue=queue).get(timeout=30)

            theirs = await asyncio.to_thread(_sync_best_us, raw, 100, 3)
        finally:
            await executor.shutdown()
    return [Row("Celery round trip (no-op task)", ours, {"celery send_task().get()": theirs}, "µs")]


async def _main(tmp: Path) -> list[Row]:
    io = FilesystemIOManager(tmp / "outputs")
    return [*await _process_rows(io), *await _celery_rows(io, tmp)]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = asyncio.run(_main(Path(tmp)))
    report(
        "Executor dispatch, one no-op task at a time (lower is better)",
        rows,
        note="peer/rfs > 1 means rfs is faster; target: warm dispatch under 2,000 µs",
    )


if __name__ == "__main__":
    main()
