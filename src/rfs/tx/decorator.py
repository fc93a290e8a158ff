"""``@Transactional``: run a function in a database transaction, Spring style, Result aware."""

from __future__ import annotations

import functools
import inspect
import re
import types
import typing
from collections.abc import Callable, Iterable
from datetime import timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar, overload

from rfs.result import Failure, Success
from rfs.tx.options import Isolation, Propagation, TxFunction, TxOptions

if TYPE_CHECKING:
    from rfs.tx.manager import TransactionManager

__all__ = ["Transactional", "transactional"]

F = TypeVar("F", bound=Callable[..., Any])

_RESULT_NAMES = re.compile(r"^(?:[\w.]+\.)?(?:Result|Success|Failure)\b")
_EXCEPTIONS = type[BaseException] | Iterable[type[BaseException]]


@overload
def Transactional(fn: F, /) -> F: ...
@overload
def Transactional(
    *,
    propagation: Propagation | str = ...,
    isolation: Isolation | str | None = ...,
    read_only: bool | None = ...,
    timeout: float | timedelta | None = ...,
    rollback_for: _EXCEPTIONS = ...,
    no_rollback_for: _EXCEPTIONS = ...,
    retries: int | None = ...,
    backoff: float | None = ...,
    manager: TransactionManager | None = ...,
    retry_count: int | None = ...,
    retry_delay: float | None = ...,
    readonly: bool | None = ...,
) -> Callable[[F], F]: ...
def Transactional(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    propagation: Propagation | str = Propagation.REQUIRED,
    isolation: Isolation | str | None = None,
    read_only: bool | None = None,
    timeout: float | timedelta | None = None,
    rollback_for: _EXCEPTIONS = (),
    no_rollback_for: _EXCEPTIONS = (),
    retries: int | None = None,
    backoff: float | None = None,
    manager: TransactionManager | None = None,
    retry_count: int | None = None,
    retry_delay: float | None = None,
    readonly: bool | None = None,
) -> Any:
    """Run the decorated function in a transaction; its session is ``current_session()``.

    Works bare (``@Transactional``) or called (``@Transactional(isolation="SERIALIZABLE")``),
    on ``async def`` functions and methods (``AsyncSession``) and on plain functions (sync
    ``Session``). The transaction commits when the function returns, and rolls back when it
    raises (unless a ``no_rollback_for`` rule says otherwise) or returns a ``Failure``.

    - ``propagation``: REQUIRED (default) joins an active transaction, REQUIRES_NEW runs in
      its own, NESTED in a savepoint, MANDATORY needs one, NEVER refuses one (see
      ``Propagation``). The settings below apply when this call starts a transaction.
    - ``isolation``: READ COMMITTED, REPEATABLE READ or SERIALIZABLE (SQLite is always
      serializable). ``read_only``: writes fail and nothing is committed.
    - ``timeout``: seconds; past it the running statement is cancelled and the transaction
      rolled back (the COMMIT itself is never cut short).
    - ``retries``: re-run the function, after an exponential ``backoff`` with jitter, when
      the database reports a serialization failure or deadlock (SQLSTATE 40001/40P01) or
      SQLite is busy. The function must be safe to run again (no side effects outside the
      database).
    - ``manager``: the ``TransactionManager`` to use. Without it the manager is found at each
      call: the one bound in the active DI registry (``rfs.di.current_registry()``), else
      ``rfs.tx.get_manager()``.
    - RFS v4 spellings are accepted: ``retry_count`` (``retries``), ``retry_delay``
      (``backoff``), ``readonly`` (``read_only``), ``IsolationLevel``/``PropagationLevel``
      members, lists of exception classes, and a ``timedelta`` timeout.

    Failures of the transaction itself (timeout, retries exhausted, lost connection) are
    returned as ``Failure(TransactionError)`` when the function is annotated to return a
    ``Result``, and raised as ``TransactionError`` otherwise. Exceptions raised by the
    function propagate unchanged after the rollback.
    """
    opts = TxOptions(
        propagation=_propagation(propagation),
        isolation=_isolation(isolation),
        read_only=bool(_either("read_only", read_only, "readonly", readonly, False)),
        timeout=_timeout(timeout),
        rollback_for=_exceptions("rollback_for", rollback_for),
        no_rollback_for=_exceptions("no_rollback_for", no_rollback_for),
        retries=_count("retries", _either("retries", retries, "retry_count", retry_count, 0)),
        backoff=_seconds("backoff", _either("backoff", backoff, "retry_delay", retry_delay, 0.05)),
        manager=_manager(manager),
    )
    if fn is None:
        return functools.partial(_decorate, opts)
    return _decorate(opts, fn)


transactional = Transactional


def _decorate(opts: TxOptions, fn: F) -> F:
    if not callable(fn):
        raise TypeError(f"@Transactional decorates a function or method, not {fn!r}")
    target = inspect.unwrap(fn)
    if inspect.isasyncgenfunction(target) or inspect.isgeneratorfunction(target):
        raise TypeError(
            f"@Transactional cannot wrap the generator {fn.__qualname__}: a transaction must "
            "end when the call returns; collect the items into a list inside it instead"
        )
    spec = TxFunction(opts, getattr(fn, "__qualname__", repr(fn)), returns_result(fn))
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(target):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            from rfs.tx.runner import run_async  # SQLAlchemy loads on the first call

            return await run_async(spec, functools.partial(fn, *args, **kwargs))

        async_wrapper.__rfs_transactional__ = opts  # type: ignore[attr-defined]
        return typing.cast(F, async_wrapper)

    @functools.wraps(fn)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        from rfs.tx.runner import run_sync

        return run_sync(spec, functools.partial(fn, *args, **kwargs))

    sync_wrapper.__rfs_transactional__ = opts  # type: ignore[attr-defined]
    return typing.cast(F, sync_wrapper)


def returns_result(fn: Callable[..., Any]) -> bool:
    """Whether ``fn``'s return annotation is a ``Result`` (``Success``/``Failure`` included)."""
    try:
        annotation = inspect.signature(fn).return_annotation
    except (TypeError, ValueError):
        return False
    if isinstance(annotation, str):
        try:
            annotation = typing.get_type_hints(fn).get("return", annotation)
        except Exception:
            return bool(_RESULT_NAMES.match(annotation.strip()))
    return _is_result_type(annotation)


def _is_result_type(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return bool(_RESULT_NAMES.match(annotation.strip()))
    origin = typing.get_origin(annotation)
    if origin is typing.Union or isinstance(annotation, types.UnionType):
        args = typing.get_args(annotation)
        return (
            bool(args)
            and all(_is_result_type(arg) or arg is type(None) for arg in args)
            and any(_is_result_type(arg) for arg in args)
        )
    if origin is not None:
        if getattr(origin, "__name__", "") in ("Awaitable", "Coroutine"):
            args = typing.get_args(annotation)
            return bool(args) and _is_result_type(args[-1])
        annotation = origin
    if annotation in (Success, Failure):
        return True
    name = getattr(annotation, "__name__", "")
    return isinstance(annotation, type) and name == "Result"


def _either(name: str, value: Any, old: str, old_value: Any, default: Any) -> Any:
    """The option given under its name or its RFS v4 name (not both), else ``default``."""
    if value is not None and old_value is not None:
        raise TypeError(f"@Transactional takes {name}= or its older name {old}=, not both")
    if value is not None:
        return value
    return default if old_value is None else old_value


def _propagation(value: Propagation | str) -> Propagation:
    if isinstance(value, Enum) and not isinstance(value, Propagation):
        value = value.name  # an equivalent enum from elsewhere (RFS v4's PropagationLevel)
    try:
        return Propagation(value.upper() if isinstance(value, str) else value)
    except ValueError:
        names = ", ".join(p.value for p in Propagation)
        raise ValueError(f"unknown propagation {value!r}; use one of {names}") from None


def _isolation(value: Isolation | str | None) -> Isolation | None:
    if value is None or isinstance(value, Isolation):
        return value
    if isinstance(value, Enum):
        value = value.name  # an equivalent enum from elsewhere (RFS v4's IsolationLevel)
    try:
        return Isolation(str(value).upper().replace("_", " "))
    except ValueError:
        names = ", ".join(i.value for i in Isolation)
        raise ValueError(f"unknown isolation level {value!r}; use one of {names}") from None


def _timeout(value: float | timedelta | None) -> float | None:
    if isinstance(value, timedelta):
        value = value.total_seconds()
    return None if value is None else _seconds("timeout", value, positive=True)


def _seconds(name: str, value: float, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"@Transactional({name}=...) takes seconds as a number, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"@Transactional({name}=...) must be positive, got {value!r}")
    return float(value)


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"@Transactional({name}=...) takes a whole number >= 0, not {value!r}")
    return value


def _exceptions(name: str, value: _EXCEPTIONS) -> tuple[type[BaseException], ...]:
    items = (value,) if isinstance(value, (type, str)) else tuple(value)
    for item in items:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise TypeError(f"@Transactional({name}=...) takes exception classes, not {item!r}")
    return items


def _manager(value: TransactionManager | None) -> TransactionManager | None:
    if value is None:
        return None
    from rfs.tx.manager import TransactionManager

    if not isinstance(value, TransactionManager):
        raise TypeError(
            f"@Transactional(manager=...) takes a rfs.tx.TransactionManager, not {value!r}"
        )
    return value
