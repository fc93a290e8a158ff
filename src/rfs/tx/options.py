"""Transaction settings: propagation modes, isolation levels and the options of one decorator."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rfs.tx.manager import TransactionManager

__all__ = [
    "Isolation",
    "IsolationLevel",
    "Propagation",
    "PropagationLevel",
    "TxFunction",
    "TxOptions",
]


class Propagation(StrEnum):
    """How a transactional call relates to a transaction already active in the context.

    ``REQUIRED`` joins it (or starts one), ``REQUIRES_NEW`` suspends it and starts its own,
    ``NESTED`` runs in a savepoint of it (or starts one), ``MANDATORY`` needs one, ``NEVER``
    refuses one, ``SUPPORTS`` joins one if present, ``NOT_SUPPORTED`` suspends it.
    """

    REQUIRED = "REQUIRED"
    REQUIRES_NEW = "REQUIRES_NEW"
    NESTED = "NESTED"
    MANDATORY = "MANDATORY"
    NEVER = "NEVER"
    SUPPORTS = "SUPPORTS"
    NOT_SUPPORTED = "NOT_SUPPORTED"


class Isolation(StrEnum):
    """SQL isolation levels; SQLite runs every transaction serializably whatever is asked."""

    READ_UNCOMMITTED = "READ UNCOMMITTED"
    READ_COMMITTED = "READ COMMITTED"
    REPEATABLE_READ = "REPEATABLE READ"
    SERIALIZABLE = "SERIALIZABLE"


#: RFS v4 names of the same enums
PropagationLevel = Propagation
IsolationLevel = Isolation


@dataclass(frozen=True, slots=True)
class TxOptions:
    """The settings of one ``@Transactional`` declaration (validated by the decorator)."""

    propagation: Propagation = Propagation.REQUIRED
    isolation: Isolation | None = None
    read_only: bool = False
    timeout: float | None = None
    rollback_for: tuple[type[BaseException], ...] = ()
    no_rollback_for: tuple[type[BaseException], ...] = ()
    retries: int = 0
    backoff: float = 0.05
    max_backoff: float = 2.0
    manager: TransactionManager | None = None

    def should_rollback(self, exc: BaseException) -> bool:
        """Whether ``exc`` rolls back: the closest matching rule wins, rollback by default.

        As in Spring, a rule matches by class hierarchy and the most specific one decides,
        so ``no_rollback_for=(Exception,)`` with ``rollback_for=(ValueError,)`` commits on a
        ``KeyError`` and rolls back on a ``ValueError``. Non-``Exception`` errors (cancellation,
        ``KeyboardInterrupt``) always roll back.
        """
        if not isinstance(exc, Exception) or not self.no_rollback_for:
            return True
        mro = type(exc).__mro__
        keep = _distance(mro, self.no_rollback_for)
        if keep is None:
            return True
        undo = _distance(mro, self.rollback_for)
        return undo is not None and undo <= keep


class TxFunction:
    """One ``@Transactional`` function: its options, its name for messages, its return kind."""

    __slots__ = ("name", "opts", "wants_result")

    def __init__(self, opts: TxOptions, name: str, wants_result: bool) -> None:
        self.opts = opts
        self.name = name
        self.wants_result = wants_result


def _distance(mro: tuple[type, ...], rules: tuple[type[BaseException], ...]) -> int | None:
    """Position in ``mro`` of the nearest class listed in ``rules`` (None when none matches)."""
    for depth, cls in enumerate(mro):
        if cls in rules:
            return depth
    return None
