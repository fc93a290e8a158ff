"""The default saga log: set by ``configure()``, else ``RFS_SAGA_LOG_URL``, else ``.rfs/sagas.db``.

The default is durable (SPEC §4): an execution a crash interrupts is in the log for
``rfs saga recover`` instead of lost with the process. Tests switch to a memory log with one
call, :func:`use_memory_log` (the ``saga_memory_log`` pytest fixture does it per test).
"""

from __future__ import annotations

from rfs.saga.store import MemorySagaLog, SagaStore

_configured: SagaStore | None = None


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


def use_memory_log() -> MemorySagaLog:
    """Make a fresh process-local log the default (tests); returns it."""
    log = MemorySagaLog()
    configure(log)
    return log


def default_log() -> SagaStore:
    """The configured log, else a durable ``SagaLog`` (``RFS_SAGA_LOG_URL`` or ``.rfs/sagas.db``).

    Created on first use and kept: later sagas share it.
    """
    if _configured is not None:
        return _configured
    from rfs.saga.log import SagaLog

    log = SagaLog()
    configure(log)
    return log
