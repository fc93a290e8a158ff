"""``@RedisTransaction``: writes buffered into one MULTI/EXEC, WATCH keys retried optimistically.

The decorated coroutine reaches its transaction through ``current_redis()``. Reads run at
once (on the watching connection when keys are watched); writes are recorded and sent in one
MULTI/EXEC after the function returns, with ``EXPIRE ttl`` added for each written key. When
the function raises or returns a ``Failure`` nothing is sent, so nothing is written. When a
watched key changed before EXEC, the function runs again (up to ``retries`` times).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import typing
import weakref
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar, overload

from rfs._backoff import retry_delay
from rfs._require import require
from rfs.di.registry import current_registry
from rfs.result import Failure
from rfs.tx.decorator import returns_result
from rfs.tx.errors import (
    ConnectionLostError,
    NoTransactionError,
    TransactionTimeoutError,
    WatchConflictError,
    report,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import Pipeline

_MAX_BACKOFF = 2.0  # seconds; the longest pause between WATCH retries

__all__ = ["RedisTransaction", "RedisTx", "configure_redis", "current_redis", "redis_transaction"]

F = TypeVar("F", bound=Callable[..., Any])
WatchSpec = str | Callable[..., str | Iterable[str]]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# write commands the facade records instead of running (everything else reads at once)
_WRITES = frozenset(
    """set setex psetex setnx mset msetnx getset getdel getex append setrange setbit incr incrby
    incrbyfloat decr decrby delete unlink expire pexpire expireat pexpireat persist rename
    renamenx copy hset hsetnx hmset hdel hincrby hincrbyfloat lpush lpushx rpush rpushx lpop
    rpop lset lrem ltrim linsert lmove rpoplpush sadd srem spop smove sinterstore sunionstore
    sdiffstore zadd zrem zincrby zremrangebyscore zremrangebyrank zremrangebylex zpopmin
    zpopmax zunionstore zinterstore xadd xdel xtrim pfadd pfmerge""".split()  # noqa: SIM905
)
_NO_TTL = frozenset(
    """delete unlink expire pexpire expireat pexpireat persist getdel lpop rpop spop zpopmin
    zpopmax srem zrem hdel xdel""".split()  # noqa: SIM905
)
_DEST_SECOND = frozenset(
    """rename renamenx copy lmove rpoplpush smove""".split()  # noqa: SIM905
)
_OWN_EXPIRY = ("ex", "px", "exat", "pxat", "keepttl")

_CURRENT: ContextVar[RedisTx | None] = ContextVar("rfs_redis_tx", default=None)


class RedisTx:
    """One attempt of a Redis transaction: immediate reads, recorded writes.

    ``await tx.get(key)`` (any read command of redis-py) runs now; ``tx.set(key, value)``
    (any write command, no ``await``) is queued for the MULTI/EXEC. ``await tx.watch(*keys)``
    adds watched keys before the first read of them. ``tx.client`` is the redis client.
    Reads do not see the writes queued so far: those happen together at EXEC.
    """

    def __init__(self, client: Redis, pipe: Pipeline) -> None:
        self.client = client
        self.pipeline = pipe
        self.commands: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.ttl_keys: dict[Any, None] = {}

    async def watch(self, *keys: str) -> None:
        """WATCH more keys (before reading them); a change to any makes the attempt retry."""
        await self.pipeline.watch(*keys)

    def queue(self, command: str, *args: Any, **kwargs: Any) -> None:
        """Record the redis-py method ``command`` to run inside MULTI/EXEC."""
        if not hasattr(self.pipeline, command):
            raise AttributeError(f"redis pipeline has no command {command!r}")
        self.commands.append((command, args, kwargs))
        if command in _NO_TTL or any(kwargs.get(name) for name in _OWN_EXPIRY):
            return
        if command in ("mset", "msetnx") and args and isinstance(args[0], dict):
            keys: Iterable[Any] = args[0]
        elif command in _DEST_SECOND and len(args) > 1:
            keys = (args[1],)
        elif args:
            keys = (args[0],)
        else:
            keys = (kwargs.get("name") or kwargs.get("key") or kwargs.get("dest"),)
        for key in keys:
            if key is not None:
                self.ttl_keys[key] = None

    def __getattr__(self, name: str) -> Any:
        if name in _WRITES:
            return functools.partial(self.queue, name)
        reader = self.pipeline if self.pipeline.watching else self.client
        return getattr(reader, name)


def current_redis() -> RedisTx:
    """The ``RedisTx`` of the ``@RedisTransaction`` call running in this task."""
    tx = _CURRENT.get()
    if tx is None:
        raise NoTransactionError(
            "current_redis() called outside a Redis transaction: decorate the calling "
            "coroutine with @RedisTransaction"
        )
    return tx


@overload
def RedisTransaction(fn: F, /) -> F: ...
@overload
def RedisTransaction(
    *,
    watch: WatchSpec | Iterable[WatchSpec] = ...,
    ttl: float | timedelta | None = ...,
    retries: int | None = ...,
    backoff: float = ...,
    client: Redis | None = ...,
    url: str | None = ...,
    timeout: float | None = ...,
    watch_keys: Iterable[str] | None = ...,
    key_pattern: str | None = ...,
    retry_count: int | None = ...,
    pipeline: bool = ...,
) -> Callable[[F], F]: ...
def RedisTransaction(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    watch: WatchSpec | Iterable[WatchSpec] = (),
    ttl: float | timedelta | None = None,
    retries: int | None = None,
    backoff: float = 0.005,
    client: Redis | None = None,
    url: str | None = None,
    timeout: float | None = None,
    watch_keys: Iterable[str] | None = None,
    key_pattern: str | None = None,
    retry_count: int | None = None,
    pipeline: bool = True,
) -> Any:
    """Run the decorated coroutine as one Redis MULTI/EXEC transaction.

    - ``watch``: keys to WATCH before the function runs. Each is a key, a template formatted
      with the call's arguments (``"account:{account_id}"``) or a callable taking the call's
      arguments and returning a key or keys.
    - ``ttl``: seconds (or a ``timedelta``) set with EXPIRE on every key the function writes,
      unless the write sets its own expiry (``ex=``/``px=``).
    - ``retries``: how many times the function runs again when a watched key changed; after
      that the call fails with ``WatchConflictError``. ``backoff`` is the first pause.
    - ``client`` or ``url``: the Redis to use; else, at call time, the ``redis.asyncio.Redis``
      bound in the active DI registry (``rfs.di.current_registry()``), else
      ``configure_redis()``'s, else ``RFS_REDIS_URL``, else ``redis://127.0.0.1:6379/0``.
    - ``timeout``: seconds for the whole call, retries included; past it nothing is written
      and the call fails with ``TransactionTimeoutError``.
    - RFS v4 spellings are accepted: ``watch_keys`` and ``key_pattern`` (more keys to watch),
      ``retry_count`` (``retries``) and ``pipeline=True``.

    Conflicts that outlast the retries and lost connections are returned as
    ``Failure(TransactionError)`` when the function is annotated to return a ``Result``, and
    raised otherwise. The function must be safe to run again.
    """
    keys = _watch_specs(watch) + tuple(watch_keys or ()) + ((key_pattern,) if key_pattern else ())
    seconds = _ttl(ttl)
    if retries is not None and retry_count is not None:
        raise TypeError("@RedisTransaction takes retries= or its older name retry_count=, not both")
    retries = retries if retries is not None else retry_count if retry_count is not None else 5
    if not pipeline:
        raise ValueError("@RedisTransaction always sends its writes as one MULTI/EXEC pipeline")
    if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
        raise ValueError(f"@RedisTransaction(timeout=...) takes seconds > 0, not {timeout!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"@RedisTransaction(retries=...) takes a whole number >= 0: {retries!r}")
    if client is not None and url is not None:
        raise TypeError("@RedisTransaction takes client= or url=, not both")

    def decorate(func: F) -> F:
        if not inspect.iscoroutinefunction(inspect.unwrap(func)):
            raise TypeError(
                f"@RedisTransaction decorates async functions; {func.__qualname__} is not one"
            )
        tx = _Spec(func, keys, seconds, retries, backoff, client, url, timeout)

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await tx.run(args, kwargs)

        return typing.cast(F, wrapper)

    return decorate if fn is None else decorate(fn)


redis_transaction = RedisTransaction


class _Spec:
    """One decorated function and its transaction settings."""

    def __init__(
        self,
        fn: Callable[..., Any],
        watch: tuple[WatchSpec, ...],
        ttl: int | None,
        retries: int,
        backoff: float,
        client: Redis | None,
        url: str | None,
        timeout: float | None,
    ) -> None:
        self.fn = fn
        self.timeout = timeout
        self.watch = watch
        self.ttl = ttl
        self.retries = retries
        self.backoff = backoff
        self.client = client
        self.url = url
        self.wants_result = returns_result(fn)
        self.signature = inspect.signature(fn) if any(isinstance(w, str) for w in watch) else None

    def keys(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
        keys: list[str] = []
        arguments: dict[str, Any] | None = None
        for spec in self.watch:
            if callable(spec):
                found = spec(*args, **kwargs)
                keys.extend([found] if isinstance(found, str) else found)
            elif "{" in spec:
                if arguments is None:
                    assert self.signature is not None
                    bound = self.signature.bind(*args, **kwargs)
                    bound.apply_defaults()
                    arguments = dict(bound.arguments)
                keys.append(spec.format(**arguments))
            else:
                keys.append(spec)
        return keys

    async def run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        require("redis", "redis.exceptions", "@RedisTransaction")
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
        from redis.exceptions import WatchError

        client = self.client or _client(self.url)
        keys = self.keys(args, kwargs) if self.watch else []
        deadline = None
        if self.timeout is not None:
            deadline = asyncio.get_running_loop().time() + self.timeout
        attempt = 1
        while True:
            phase = "body"
            limit: asyncio.Timeout | None = None
            try:
                async with client.pipeline(transaction=True) as pipe:
                    if keys:
                        await pipe.watch(*keys)
                    tx = RedisTx(client, pipe)
                    token = _CURRENT.set(tx)
                    limit = asyncio.timeout_at(deadline)
                    try:
                        async with limit:
                            result = await self.fn(*args, **kwargs)
                    finally:
                        _CURRENT.reset(token)
                    if isinstance(result, Failure) or not tx.commands:
                        return result
                    phase = "commit"
                    await self._commit(pipe, tx)
                    return result
            except WatchError as exc:
                if attempt > self.retries:
                    conflict = WatchConflictError(
                        f"watched keys {keys} kept changing: gave up after {attempt} "
                        "attempt(s), nothing written",
                        attempts=attempt,
                    )
                    return report(conflict, exc, self.wants_result)
                await asyncio.sleep(retry_delay(attempt, self.backoff, _MAX_BACKOFF))
                attempt += 1
            except TimeoutError as exc:  # the deadline passed while the function ran
                if limit is None or not limit.expired():
                    raise
                late = TransactionTimeoutError(
                    f"Redis transaction exceeded its timeout of {self.timeout}s: nothing written"
                )
                return report(late, exc, self.wants_result)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                outcome = "the outcome is unknown" if phase == "commit" else "nothing written"
                error = ConnectionLostError(f"Redis connection lost ({phase}): {outcome}: {exc}")
                return report(error, exc, self.wants_result)

    async def _commit(self, pipe: Pipeline, tx: RedisTx) -> None:
        pipe.multi()  # type: ignore[no-untyped-call]
        for name, args, kwargs in tx.commands:
            getattr(pipe, name)(*args, **kwargs)
        if self.ttl is not None:
            for key in tx.ttl_keys:
                pipe.expire(key, self.ttl)
        await pipe.execute()


def _watch_specs(watch: WatchSpec | Iterable[WatchSpec]) -> tuple[WatchSpec, ...]:
    specs = (watch,) if isinstance(watch, str) or callable(watch) else tuple(watch)
    for spec in specs:
        if not (isinstance(spec, str) or callable(spec)):
            raise TypeError(f"@RedisTransaction(watch=...) takes keys or callables, not {spec!r}")
    return specs


def _ttl(ttl: float | timedelta | None) -> int | None:
    if ttl is None:
        return None
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 1:
        raise ValueError(f"@RedisTransaction(ttl=...) takes at least 1 second, not {ttl!r}")
    return int(seconds)


_configured: Redis | str | None = None
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Redis]] = (
    weakref.WeakKeyDictionary()
)


def configure_redis(url_or_client: Redis | str | None) -> None:
    """Set the Redis (a client or a URL) used by ``@RedisTransaction`` without ``client=``."""
    global _configured
    _configured = url_or_client


def _client(url: str | None) -> Redis:
    """The client for ``url``, else the active registry's, else the configured default.

    Clients made from a URL are kept one per event loop.
    """
    require("redis", "redis.asyncio", "@RedisTransaction")
    from redis.asyncio import Redis

    if url is None:
        registry = current_registry()
        bound = None if registry is None else registry.resolve_optional(Redis)
        if bound is not None:
            return bound
        if _configured is not None and not isinstance(_configured, str):
            return _configured
        url = _configured or os.environ.get("RFS_REDIS_URL") or DEFAULT_REDIS_URL
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(url)
    if client is None:
        client = per_loop[url] = Redis.from_url(url)
    return client
