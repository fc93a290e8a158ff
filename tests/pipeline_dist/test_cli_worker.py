"""``rfs worker`` with a pipeline file, driven by ``rfs run FILE --executor celery``."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rfs.cli.main import build_app

from .celery_workers import worker_factory

PIPELINE = textwrap.dedent(
    """
    from rfs.pipeline import task

    @task
    def base() -> int:
        return 20

    @task(dependencies=["base"])
    async def plus_one(base: int) -> int:
        return base + 1

    @task(dependencies=["plus_one"])
    def doubled(plus_one: int) -> int:
        return plus_one * 2
    """
)


def test_worker_help_lists_its_options() -> None:
    """``rfs worker --help`` documents the tasks, queue and concurrency options."""
    result = CliRunner().invoke(build_app(), ["worker", "--help"])
    assert result.exit_code == 0
    for option in ("--tasks", "--app", "--queue", "--concurrency", "--broker"):
        assert option in result.output


def test_worker_refuses_a_missing_tasks_file(tmp_path: Path) -> None:
    """A ``--tasks`` file that does not exist is a usage error, before any broker is contacted."""
    missing = tmp_path / "nope.py"
    result = CliRunner().invoke(build_app(), ["worker", "--tasks", str(missing)])
    assert result.exit_code != 0
    assert "no such file" in result.output


@pytest.mark.slow
@pytest.mark.service("rabbitmq", "redis")
def test_rfs_run_file_on_a_worker_started_with_the_same_file(
    tmp_path: Path, rabbitmq_url: str, redis_url: str
) -> None:
    """A pipeline file runs on a worker that loaded the same file under another module name.

    The driver (working directory ``tmp_path``) imports it as ``demo_pkg.demo_pipeline``; the
    worker (another working directory) loads it by path as ``demo_pipeline``.
    """
    source = tmp_path / "demo_pkg" / "demo_pipeline.py"
    source.parent.mkdir()
    (source.parent / "__init__.py").write_text("")
    source.write_text(PIPELINE)
    queue = f"rfs-test-{uuid.uuid4().hex[:10]}"
    with worker_factory(rabbitmq_url, redis_url, queue, tmp_path, str(source)) as workers:
        workers.start(1)
        env = {
            **os.environ,
            "RFS_CELERY_BROKER_URL": rabbitmq_url,
            "RFS_CELERY_BACKEND_URL": redis_url,
            "RFS_CELERY_QUEUE": queue,
            "RFS_RUN_STORE_URL": f"sqlite:///{tmp_path / 'runs.db'}",
        }
        cmd = [sys.executable, "-c", "from rfs.cli.main import main; main()", "run"]
        cmd += [str(source), "--executor", "celery", "--outputs", str(tmp_path / "out")]
        done = subprocess.run(
            cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 succeeded" in done.stdout
    assert "plus_one" in workers.workers[0].log_text()  # it ran on the worker
