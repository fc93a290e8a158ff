"""Whether an I/O manager's storage is visible from other processes (worker executors need it)."""

from __future__ import annotations

from rfs.pipeline.executors.base import AttemptOutcome, TaskAttempt

__all__ = ["refuse_process_local"]


def _process_local(io: object) -> str | None:
    if type(io).__name__ == "MemoryIOManager":
        return "MemoryIOManager"
    url = getattr(io, "url", None)
    if isinstance(url, str) and url.startswith("memory://"):
        return f"{type(io).__name__}({url!r})"
    return None


def refuse_process_local(
    attempt: TaskAttempt, executor: str, started: float
) -> AttemptOutcome | None:
    """A final failure when outputs would stay inside one worker process; else ``None``."""
    what = _process_local(attempt.io_manager)
    if what is None:
        return None
    return AttemptOutcome.failed(
        f"task {attempt.task_name!r}: {what} keeps outputs inside one process, so the "
        f"{executor} executor's workers cannot share them; use FilesystemIOManager(path) or "
        "FsspecIOManager(url) on storage every worker reaches",
        error_type="IOManagerNotShared",
        started_at=started,
        retryable=False,
    )
