"""Fixtures: attempts built from module-level functions, a filesystem I/O manager, and waits."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rfs.pipeline.executors.base import InputRef, TaskAttempt, TaskRef
from rfs.pipeline.io import FilesystemIOManager
from rfs.pipeline.kinds import kind_of


def wait_until(condition: Callable[[], Any], *, timeout: float = 30.0, every: float = 0.02) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


def pid_of(marker: Path) -> int:
    """The process id in a ``started-{n}-{pid}`` marker's name."""
    return int(marker.name.rsplit("-", 1)[1])


async def started(markers: Path, n: int = 0) -> Path:
    """Wait (off the loop) for :func:`dist_tasks.block_first_attempt` call ``n``'s marker."""
    found = await asyncio.to_thread(wait_until, lambda: sorted(markers.glob(f"started-{n}-*")))
    return found[0]  # type: ignore[no-any-return]


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    """An empty folder for ``started-{n}-{pid}`` markers."""
    folder = tmp_path / "markers"
    folder.mkdir()
    return folder


def _attempt_for(func: Callable[..., Any], outputs: str, **options: Any) -> TaskAttempt:
    """An attempt of ``func`` with outputs under ``outputs`` (for driver subprocesses)."""
    return TaskAttempt(
        run_id="run",
        task_name=func.__name__,
        attempt=1,
        ref=TaskRef.of(func),
        kind=kind_of(func),
        io_manager=FilesystemIOManager(outputs),
        **options,
    )


@pytest.fixture
def io(tmp_path: Path) -> FilesystemIOManager:
    return FilesystemIOManager(tmp_path / "outputs")


@pytest.fixture
def make_attempt(io: FilesystemIOManager) -> Callable[..., TaskAttempt]:
    """Build a :class:`TaskAttempt` for a module-level function (no registry needed)."""
    run_id = f"run-{uuid.uuid4().hex[:8]}"

    def make(
        func: Callable[..., Any],
        *,
        name: str | None = None,
        inputs: dict[str, InputRef] | None = None,
        **options: Any,
    ) -> TaskAttempt:
        return TaskAttempt(
            run_id=run_id,
            task_name=name or func.__name__,
            attempt=options.pop("attempt", 1),
            ref=TaskRef.of(func),
            kind=kind_of(func),
            io_manager=io,
            inputs=inputs or {},
            **options,
        )

    return make
