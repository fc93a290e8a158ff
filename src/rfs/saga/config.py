"""The default saga log: set by ``configure()``, else ``RFS_SAGA_LOG_URL``, else in memory."""

from __future__ import annotations

import os

from rfs.saga.store import MemorySagaLog, SagaStore

_configured: SagaStore | None = None
_memory: MemorySagaLog | None = None


def configure(log: SagaStore | str | None) -> SagaStore | None:
    """Set the log every ``Saga`` without its own ``log=`` writes to (``None`` resets).

    A string is a database URL for a durable :class:`~rfs.saga.log.SagaLog`.
    """
    global _configured
    if isinstance(log, str):
        from rfs.saga.log import SagaLog

        log = SagaLog(log)
    _configured = log
    return log


def default_log() -> SagaStore:
    """The configured log; a ``SagaLog`` on ``RFS_SAGA_LOG_URL``; else a process-local one."""
    global _memory
    if _configured is not None:
        return _configured
    url = os.environ.get("RFS_SAGA_LOG_URL")
    if url:
        return configure(url) or _memory_log()
    return _memory_log()


def _memory_log() -> MemorySagaLog:
    global _memory
    if _memory is None:
        _memory = MemorySagaLog()
    return _memory
