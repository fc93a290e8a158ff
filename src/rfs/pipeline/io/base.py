"""The I/O manager port: where task outputs are stored between tasks, keyed by run, task and id."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

__all__ = ["IOManager", "UnsafeNameError", "check_name", "is_process_local"]

_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")


class UnsafeNameError(ValueError):
    """A run id, task name or result id that could escape its directory (``/``, ``\\``, ``..``)."""


def check_name(kind: str, value: str) -> str:
    """Return ``value`` if it is safe as one path segment; raise :class:`UnsafeNameError` if not."""
    if not isinstance(value, str) or not _SAFE.match(value) or ".." in value:
        raise UnsafeNameError(
            f"{kind} {value!r} is not allowed: use letters, digits, '_', '-' and '.', "
            "start with a letter, digit or '_', no path separators and no '..'"
        )
    return value


def result_ids(file_names: Iterable[str], extension: str) -> list[str]:
    """The sorted result ids among ``{id}.{extension}`` file names (temporary files skipped)."""
    suffix = f".{extension}"
    return sorted(
        n[: -len(suffix)] for n in file_names if n.endswith(suffix) and not n.startswith(".")
    )


@runtime_checkable
class IOManager(Protocol):
    """Stores and loads task outputs: ``{run_id}/{task_name}/{task_result_id}``.

    Implementations must be picklable when used with executors that run tasks in other
    processes (multiprocess, Celery): those processes save and load outputs themselves.
    One whose outputs stay inside the process that saved them (a dict, ``memory://``) says
    so with a ``process_local = True`` attribute: those executors then refuse it with a
    clear error instead of losing outputs (optional; absent means shared).
    """

    def save(self, run_id: str, task_name: str, task_result_id: str, value: Any) -> str:
        """Store ``value``; return where it went (a path or URL). Atomic: all or nothing."""
        ...

    def load(self, run_id: str, task_name: str, task_result_id: str) -> Any:
        """Return a stored value; raise ``FileNotFoundError``/``KeyError`` when absent."""
        ...

    def exists(self, run_id: str, task_name: str, task_result_id: str) -> bool:
        """Whether a value is stored under these keys."""
        ...

    def list_results(self, run_id: str, task_name: str) -> list[str]:
        """The result ids stored for one task of one run, sorted."""
        ...

    def clear_run(self, run_id: str) -> int:
        """Delete everything stored for a run; return how many results were deleted."""
        ...

    def list_runs(self) -> list[str]:
        """Run ids that have stored results, sorted."""
        ...


def is_process_local(io: object) -> bool:
    """Whether ``io`` keeps outputs inside one process (its ``process_local`` attribute)."""
    return getattr(io, "process_local", False) is True
