"""Transactions: ``@Transactional`` (SQLAlchemy), ``@RedisTransaction``, distributed (saga).

Names load lazily (PEP 562), so ``import rfs.tx`` imports neither SQLAlchemy nor redis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # database transactions
    "Transactional": "rfs.tx.decorator",
    "transactional": "rfs.tx.decorator",
    "Propagation": "rfs.tx.options",
    "Isolation": "rfs.tx.options",
    "IsolationLevel": "rfs.tx.options",
    "PropagationLevel": "rfs.tx.options",
    "TransactionManager": "rfs.tx.manager",
    "configure": "rfs.tx.manager",
    "get_manager": "rfs.tx.manager",
    "default_manager": "rfs.tx.manager",
    "DEFAULT_DATABASE_URL": "rfs.tx.manager",
    "current_session": "rfs.tx.context",
    "current_session_or_none": "rfs.tx.context",
    "current_sync_session": "rfs.tx.context",
    "in_transaction": "rfs.tx.context",
    # errors
    "TransactionError": "rfs.tx.errors",
    "TransactionTimeoutError": "rfs.tx.errors",
    "SerializationError": "rfs.tx.errors",
    "ConnectionLostError": "rfs.tx.errors",
    "UnexpectedRollbackError": "rfs.tx.errors",
    "IllegalTransactionStateError": "rfs.tx.errors",
    "NoTransactionError": "rfs.tx.errors",
    "WatchConflictError": "rfs.tx.errors",
    # redis transactions
    "RedisTransaction": "rfs.tx.redis",
    "redis_transaction": "rfs.tx.redis",
    "RedisTx": "rfs.tx.redis",
    "current_redis": "rfs.tx.redis",
    "configure_redis": "rfs.tx.redis",
    # distributed (saga) transactions: rfs.tx.distributed is owned by the saga work
    "DistributedTransaction": "rfs.tx.distributed",
    "distributed_transaction": "rfs.tx.distributed",
    "DistributedSaga": "rfs.tx.distributed",
    "TransactionScope": "rfs.tx.distributed",
    "current_transaction": "rfs.tx.distributed",
}

__all__ = [
    "DEFAULT_DATABASE_URL",
    "ConnectionLostError",
    "DistributedSaga",
    "DistributedTransaction",
    "IllegalTransactionStateError",
    "Isolation",
    "IsolationLevel",
    "NoTransactionError",
    "Propagation",
    "PropagationLevel",
    "RedisTransaction",
    "RedisTx",
    "SerializationError",
    "TransactionError",
    "TransactionManager",
    "TransactionScope",
    "TransactionTimeoutError",
    "Transactional",
    "UnexpectedRollbackError",
    "WatchConflictError",
    "configure",
    "configure_redis",
    "current_redis",
    "current_session",
    "current_session_or_none",
    "current_sync_session",
    "current_transaction",
    "default_manager",
    "distributed_transaction",
    "get_manager",
    "in_transaction",
    "redis_transaction",
    "transactional",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from rfs.tx.context import (
        current_session,
        current_session_or_none,
        current_sync_session,
        in_transaction,
    )
    from rfs.tx.decorator import Transactional, transactional
    from rfs.tx.distributed import (
        DistributedSaga,
        DistributedTransaction,
        TransactionScope,
        current_transaction,
        distributed_transaction,
    )
    from rfs.tx.errors import (
        ConnectionLostError,
        IllegalTransactionStateError,
        NoTransactionError,
        SerializationError,
        TransactionError,
        TransactionTimeoutError,
        UnexpectedRollbackError,
        WatchConflictError,
    )
    from rfs.tx.manager import (
        DEFAULT_DATABASE_URL,
        TransactionManager,
        configure,
        default_manager,
        get_manager,
    )
    from rfs.tx.options import Isolation, IsolationLevel, Propagation, PropagationLevel
    from rfs.tx.redis import (
        RedisTransaction,
        RedisTx,
        configure_redis,
        current_redis,
        redis_transaction,
    )
