"""``rfs worker``: a Celery worker that runs pipeline tasks sent by ``CeleryExecutor``."""

from __future__ import annotations

import os
import socket
from types import ModuleType

import typer

from rfs.cli._load import ensure_cwd_on_path, load_module


def load_tasks(spec: str) -> ModuleType:
    """Import the task module the way ``rfs run`` does, so both sides use the same name."""
    ensure_cwd_on_path()
    return load_module(spec)


def register(app: typer.Typer) -> None:
    """Add the ``worker`` command."""

    @app.command("worker")
    def worker(
        tasks: list[str] = typer.Option(
            [],
            "--tasks",
            "--app",
            "-A",
            help=(
                "Module or .py file defining the @task functions (repeatable). Without "
                "RFS_SIGNING_KEY, only their functions and registered @task run."
            ),
        ),
        broker: str | None = typer.Option(
            None,
            "--broker",
            envvar="RFS_CELERY_BROKER_URL",
            help="Broker URL (amqp:// or redis://).",
        ),
        backend: str | None = typer.Option(
            None, "--backend", envvar="RFS_CELERY_BACKEND_URL", help="Result backend URL."
        ),
        queue: list[str] = typer.Option(
            ["rfs"], "--queue", "-Q", envvar="RFS_CELERY_QUEUE", help="Queue(s) to consume."
        ),
        concurrency: int | None = typer.Option(
            None, "--concurrency", "-c", help="Worker processes (default: CPU count)."
        ),
        pool: str = typer.Option("prefork", "--pool", "-P", help="Celery pool: prefork, solo..."),
        loglevel: str = typer.Option("INFO", "--loglevel", "-l", help="Celery log level."),
        hostname: str | None = typer.Option(None, "--hostname", "-n", help="Worker node name."),
    ) -> None:
        """Run a Celery worker for pipeline tasks (at-least-once; time limits enforced)."""
        from rfs.pipeline.executors.celery_app import create_celery_app

        modules = [load_tasks(spec) for spec in tasks]
        queues = [q for item in queue for q in item.split(",") if q]
        celery = create_celery_app(
            broker, backend, queue=queues[0] if queues else "rfs", task_modules=modules
        )
        argv = ["worker", "-Q", ",".join(queues), "-P", pool, "-l", loglevel]
        argv += ["--without-gossip", "--without-mingle"]
        argv += ["-n", hostname or f"rfs-{os.getpid()}@{socket.gethostname()}"]
        if concurrency is not None:
            argv += ["-c", str(concurrency)]
        celery.worker_main(argv=argv)
