"""Sagas: multi-step operations undone step by step on failure, logged durably, recoverable.

``Saga(name).add_step(name, action, compensate)`` defines one; ``await saga.execute(context)``
runs an execution. ``CodeSaga(name, fn)`` is the same written as code: ``fn`` calls
``await tx.step(name, action, compensate)`` for each step. ``SagaLog`` (SQLAlchemy) is the
durable log; ``SagaLog.recover()`` finishes executions a crash interrupted. Names load
lazily: SQLAlchemy is imported by ``SagaLog`` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "Saga": "rfs.saga.saga",
    "CodeSaga": "rfs.saga.code",
    "TransactionScope": "rfs.saga.code",
    "current_transaction": "rfs.saga.code",
    "SagaStep": "rfs.saga.step",
    "StepContext": "rfs.saga.step",
    "current_step": "rfs.saga.step",
    "SagaError": "rfs.saga.errors",
    "CompensationFailure": "rfs.saga.errors",
    "SagaDefinitionError": "rfs.saga.errors",
    "SagaLogError": "rfs.saga.errors",
    "UnreadableRecord": "rfs.saga.errors",
    "TamperedRecord": "rfs.saga.errors",
    "ContextNotSerializable": "rfs.saga.errors",
    "OwnershipLost": "rfs.saga.errors",
    "ExecutionExists": "rfs.saga.errors",
    "SagaStatus": "rfs.saga.records",
    "EventKind": "rfs.saga.records",
    "LogEvent": "rfs.saga.records",
    "ExecutionRecord": "rfs.saga.records",
    "SagaStore": "rfs.saga.store",
    "MemorySagaLog": "rfs.saga.store",
    "SagaLog": "rfs.saga.log",
    "SagaRegistry": "rfs.saga.registry",
    "get_saga_registry": "rfs.saga.registry",
    "configure": "rfs.saga.config",
    "default_log": "rfs.saga.config",
    "RecoveryReport": "rfs.saga.recovery",
    "recover": "rfs.saga.recovery",
}

__all__ = [
    "CodeSaga",
    "CompensationFailure",
    "ContextNotSerializable",
    "EventKind",
    "ExecutionExists",
    "ExecutionRecord",
    "LogEvent",
    "MemorySagaLog",
    "OwnershipLost",
    "RecoveryReport",
    "Saga",
    "SagaDefinitionError",
    "SagaError",
    "SagaLog",
    "SagaLogError",
    "SagaRegistry",
    "SagaStatus",
    "SagaStep",
    "SagaStore",
    "StepContext",
    "TamperedRecord",
    "TransactionScope",
    "UnreadableRecord",
    "configure",
    "current_step",
    "current_transaction",
    "default_log",
    "get_saga_registry",
    "recover",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from rfs.saga.code import CodeSaga, TransactionScope, current_transaction
    from rfs.saga.config import configure, default_log
    from rfs.saga.errors import (
        CompensationFailure,
        ContextNotSerializable,
        ExecutionExists,
        OwnershipLost,
        SagaDefinitionError,
        SagaError,
        SagaLogError,
        TamperedRecord,
        UnreadableRecord,
    )
    from rfs.saga.log import SagaLog
    from rfs.saga.records import EventKind, ExecutionRecord, LogEvent, SagaStatus
    from rfs.saga.recovery import RecoveryReport, recover
    from rfs.saga.registry import SagaRegistry, get_saga_registry
    from rfs.saga.saga import Saga
    from rfs.saga.step import SagaStep, StepContext, current_step
    from rfs.saga.store import MemorySagaLog, SagaStore
