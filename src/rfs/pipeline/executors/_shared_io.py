"""Whether an I/O manager's storage is visible from other processes (worker executors need it)."""

from __future__ import annotations

from rfs.pipeline.executors.attempt import AttemptOutcome, TaskAttempt
from rfs.pipeline.io.base import is_process_local

__all__ = ["refuse_process_local"]


def refuse_process_local(
    attempt: TaskAttempt, executor: str, started: float
) -> AttemptOutcome | None:
    """A final failure when outputs would stay inside one worker process; else ``None``."""
    io = attempt.io_manager
    if not is_process_local(io):
        return None
    what = repr(io)
    return AttemptOutcome.failed(
        f"task {attempt.task_name!r}: {what} keeps outputs inside one process, so the "
        f"{executor} executor's workers cannot share them; use FilesystemIOManager(path) or "
        "FsspecIOManager(url) on storage every worker reaches",
        error_type="IOManagerNotShared",
        started_at=started,
        retryable=False,
    )
