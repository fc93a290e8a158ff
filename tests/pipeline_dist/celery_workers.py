"""Start ``rfs worker`` subprocesses for tests, wait until they are ready, always stop them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import wait_until

TESTS_DIR = Path(__file__).resolve().parent.parent


@dataclass
class WorkerProcess:
    """One ``rfs worker`` process group (the main process and its pool children)."""

    process: subprocess.Popen[bytes]
    log: Path
    name: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker {self.name} exited early:\n{self.log_text()}")
        return " ready." in self.log_text()

    def owns(self, pid: int) -> bool:
        """Whether ``pid`` belongs to this worker's process group."""
        try:
            return os.getpgid(pid) == self.process.pid
        except ProcessLookupError:
            return False

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and children), like a lost machine."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(ProcessLookupError):  # orphaned pool children, if any
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class WorkerFactory:
    """Starts workers on one queue; :meth:`stop_all` is called by the fixture's teardown."""

    broker_url: str
    backend_url: str
    queue: str
    tmp: Path
    tasks: str = "pipeline_dist.dist_tasks"
    env: dict[str, str] = field(default_factory=dict)  # extra environment of the workers
    workers: list[WorkerProcess] = field(default_factory=list)

    def start(self, count: int = 1, *, concurrency: int = 1) -> list[WorkerProcess]:
        started = [self._spawn(concurrency) for _ in range(count)]
        for worker in started:
            wait_until(worker.ready, timeout=60, every=0.05)
        return started

    def _spawn(self, concurrency: int) -> WorkerProcess:
        name = f"w{len(self.workers)}-{self.queue}"
        log = self.tmp / f"{name}.log"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), *sys.path])}
        env.pop("RFS_SIGNING_KEY", None)  # workers get a key only when a test gives one
        env.update(self.env)
        cmd = [
            sys.executable,
            "-c",
            "from rfs.cli.main import main; main()",
            "worker",
            "--tasks",
            self.tasks,
            "--broker",
            self.broker_url,
            "--backend",
            self.backend_url,
            "--queue",
            self.queue,
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@localhost",
        ]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        worker = WorkerProcess(process, log, name)
        self.workers.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()
        self._delete_queue()

    def _delete_queue(self) -> None:
        if self.broker_url.startswith("redis"):
            import redis

            client = redis.Redis.from_url(self.broker_url)
            q = self.queue
            client.delete(q, f"_kombu.binding.{q}", f"_kombu.binding_permanent.{q}")
            client.close()
            return
        from kombu import Connection

        with contextlib.suppress(Exception), Connection(self.broker_url) as conn:
            conn.default_channel.queue_delete(self.queue)


@contextlib.contextmanager
def worker_factory(
    broker_url: str,
    backend_url: str,
    queue: str,
    tmp: Path,
    tasks: str = "pipeline_dist.dist_tasks",
    env: dict[str, str] | None = None,
) -> Iterator[WorkerFactory]:
    """Workers for one queue, importing ``tasks``; all stopped and the queue deleted at exit."""
    factory = WorkerFactory(broker_url, backend_url, queue, tmp, tasks, env or {})
    try:
        yield factory
    finally:
        factory.stop_all()
