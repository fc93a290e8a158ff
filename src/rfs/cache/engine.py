"""One caching policy for sync and async functions: lookup, single-flight, store, fail-safe.

The policy (what is stored, when a stale value is served) lives in ``CacheCore``; only the
waiting differs: async callers share an ``asyncio.Task`` per key, threads share a
``concurrent.futures.Future`` per key. Across processes, a backend that is a
``DistributedLock`` lets one process load a key while the others wait for its value.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from rfs.cache.errors import CacheBackendError, CacheKeyError
from rfs.cache.keys import KeyBuilder
from rfs.cache.ports import CacheBackend, DistributedLock, Entry, LocalBackend
from rfs.cache.stats import FunctionStats, register_function
from rfs.result import Failure

__all__ = ["CacheCore"]

log = logging.getLogger("rfs.cache")


class CacheCore:
    """The cache of one decorated function (see ``rfs.cache.cached`` for the arguments)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        ttl: float | None,
        backend: CacheBackend,
        key: str | Callable[..., str] | None = None,
        tags: Sequence[str] = (),
        stale_ttl: float = 0.0,
        cache_failures: float | None = None,
        timeout: float | None = None,
        fail_safe_throttle: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name, value in (
            ("stale_ttl", stale_ttl),
            ("cache_failures", cache_failures),
            ("fail_safe_throttle", fail_safe_throttle),
        ):
            if value is not None and not value >= 0:
                raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
        if timeout is not None and not timeout >= 0:
            raise ValueError(f"timeout must be a number of seconds >= 0 or None, got {timeout!r}")
        if isinstance(tags, str):
            raise CacheKeyError(f"tags= takes a list of tags, got the string {tags!r}")
        self.fn = fn
        self.keys = KeyBuilder(fn, key)
        self.name = self.keys.name
        self.ttl = ttl
        self.stale_ttl = stale_ttl
        self.failure_ttl = cache_failures
        self.timeout = timeout
        self.throttle = fail_safe_throttle
        self.backend = backend
        self.clock = clock
        self.local: LocalBackend | None = backend if isinstance(backend, LocalBackend) else None
        self.peek: Callable[[str], Entry | None] | None = getattr(backend, "peek", None)
        self.lock: DistributedLock | None = (
            backend if isinstance(backend, DistributedLock) else None
        )
        self._static_tags = tuple(tag for tag in tags if "{" not in tag)
        self._tag_keys = [KeyBuilder(fn, tag) for tag in tags if "{" in tag]
        self.stats = FunctionStats(self.name)
        register_function(self.stats)
        self._flights: dict[str, asyncio.Task[Any]] = {}
        self._gets: dict[str, asyncio.Task[Entry | None]] = {}
        self._sync_flights: dict[str, concurrent.futures.Future[Any]] = {}
        self._sync_lock = threading.Lock()
        self._quiet_until = 0.0

    # --- policy, shared by both paths -------------------------------------------------------
    def tags_for(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, ...]:
        if not self._tag_keys:
            return self._static_tags
        return self._static_tags + tuple(k.build(args, kwargs) for k in self._tag_keys)

    def entry_for(
        self, outcome: Any, args: tuple[Any, ...], kwargs: dict[str, Any], stale: Entry | None
    ) -> Entry | None:
        """What to store for ``outcome``: a Failure only with ``cache_failures`` and no stale
        value to protect (the stale value is kept, fresh again for ``fail_safe_throttle``
        seconds so a failing source is not retried on every call); anything else for
        ``ttl`` plus the stale window."""
        now = self.clock()
        if isinstance(outcome, Failure):
            self.stats.loader_errors += 1
            if stale is not None:
                if not self.throttle:
                    return None
                fresh = min(now + self.throttle, stale.stale_until)
                return Entry(stale.value, fresh, stale.stale_until, stale.tags)
            if self.failure_ttl is None:
                return None
            until = now + self.failure_ttl
            return Entry(outcome, until, until, self.tags_for(args, kwargs))
        assert self.ttl is not None
        fresh = now + self.ttl
        return Entry(outcome, fresh, fresh + self.stale_ttl, self.tags_for(args, kwargs))

    def after_refresh(self, outcome: Any, stale: Entry) -> Any:
        """Fail-safe: a refresh that failed leaves the stale value in charge."""
        if isinstance(outcome, Failure):
            self.stats.stale_hits += 1
            return stale.value
        self.stats.misses += 1
        return outcome

    def _stale(self, entry: Entry | None) -> Entry | None:
        return entry if entry is not None and entry.stale_until > self.clock() else None

    # --- async path -------------------------------------------------------------------------
    async def resolve(
        self, key: str, entry: Entry | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """The outcome for a call whose fast path found no fresh entry."""
        if self.local is None:
            found = await self._shared_get(key)
            if found is not None:
                entry = found
                if entry.fresh_until > self.clock():
                    self.stats.hits += 1
                    return entry.value
        stale = self._stale(entry)
        task = self._flight(key, args, kwargs, stale)
        if stale is None:
            self.stats.misses += 1
            return await asyncio.shield(task)
        if not task.done() and self.timeout != 0:
            await asyncio.wait({task}, timeout=self.timeout)
        if not task.done():
            self.stats.stale_hits += 1
            self.stats.timeouts += 1
            return stale.value
        return self.after_refresh(task.result(), stale)

    async def reload(self, key: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run the loader now (joining a load in flight) and store its outcome."""
        self.stats.misses += 1
        return await asyncio.shield(self._flight(key, args, kwargs, None, force=True))

    def _flight(
        self,
        key: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        stale: Entry | None,
        force: bool = False,
    ) -> asyncio.Task[Any]:
        loop = asyncio.get_running_loop()
        task = self._flights.get(key)
        if task is not None and task.get_loop() is loop:
            return task
        task = loop.create_task(self._load(key, args, kwargs, stale, force))
        self._flights[key] = task

        task.add_done_callback(lambda done: self._forget(self._flights, key, done))
        return task

    async def _load(
        self,
        key: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        stale: Entry | None,
        force: bool = False,
    ) -> Any:
        token = None
        if self.lock is not None:
            found, token = await self._lock_or_wait(key, force)
            if found is not None:
                return found.value
        try:
            self.stats.loads += 1
            try:
                outcome = await self.fn(*args, **kwargs)
            except BaseException:
                self.stats.loader_errors += 1
                raise
            entry = self.entry_for(outcome, args, kwargs, stale)
            if entry is not None:
                await self._set(key, entry)
            return outcome
        finally:
            if token is not None and self.lock is not None:
                await self._release(key, token)

    async def _lock_or_wait(self, key: str, force: bool) -> tuple[Entry | None, str | None]:
        """``(entry, None)`` when another process loaded the key meanwhile, ``(None, token)``
        when this one holds the lock, ``(None, None)`` when the lock is unreachable."""
        assert self.lock is not None
        while True:
            try:
                token = await self.lock.acquire(key)
                if token is None:
                    await self.lock.wait_released(key)
            except CacheBackendError as exc:
                self._backend_error(exc)
                return None, None
            if force and token is not None:
                return None, token
            entry = await self._get(key)
            if entry is not None and entry.fresh_until > self.clock():
                if token is not None:
                    await self._release(key, token)
                return entry, None
            if token is not None:
                return None, token

    async def _release(self, key: str, token: str) -> None:
        assert self.lock is not None
        try:
            await self.lock.release(key, token)
        except CacheBackendError as exc:
            self._backend_error(exc)

    async def _shared_get(self, key: str) -> Entry | None:
        """``backend.get`` shared by concurrent callers of one key (one round trip for all)."""
        loop = asyncio.get_running_loop()
        task = self._gets.get(key)
        if task is None or task.get_loop() is not loop:
            task = self._gets[key] = loop.create_task(self._get(key))
            task.add_done_callback(lambda done: self._forget(self._gets, key, done))
        return await asyncio.shield(task)

    @staticmethod
    def _forget(tasks: dict[str, asyncio.Task[Any]], key: str, done: asyncio.Task[Any]) -> None:
        if tasks.get(key) is done:
            del tasks[key]
        if not done.cancelled():
            done.exception()  # mark it retrieved: a load nobody waits for may fail

    async def _get(self, key: str) -> Entry | None:
        try:
            return await self.backend.get(key)
        except CacheBackendError as exc:
            self._backend_error(exc)
            return None

    async def _set(self, key: str, entry: Entry) -> None:
        try:
            await self.backend.set(key, entry)
        except CacheBackendError as exc:
            self._backend_error(exc)

    def _backend_error(self, exc: CacheBackendError) -> None:
        self.stats.backend_errors += 1
        now = time.monotonic()
        if now >= self._quiet_until:  # one line per 10 s, not one per call
            self._quiet_until = now + 10.0
            log.warning("%s: %s (answering without the cache)", self.name, exc)

    # --- sync path --------------------------------------------------------------------------
    def resolve_sync(
        self, key: str, entry: Entry | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """The sync twin of ``resolve``: threads share one load per key."""
        assert self.local is not None
        stale = self._stale(entry)
        with self._sync_lock:
            future = self._sync_flights.get(key)
            leader = future is None
            if future is None:
                again = self.local.peek(key)  # a load may have landed since the caller looked
                if again is not None and again.fresh_until > self.clock():
                    self.stats.hits += 1
                    return again.value
                future = self._sync_flights[key] = concurrent.futures.Future()
        if leader:
            run = (self._run_sync, key, future, args, kwargs, stale)
            if stale is None or self.timeout is None:
                run[0](*run[1:])
            else:
                threading.Thread(target=run[0], args=run[1:], daemon=True).start()
        if stale is None:
            self.stats.misses += 1
            return future.result()
        try:
            outcome = future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            self.stats.stale_hits += 1
            self.stats.timeouts += 1
            return stale.value
        return self.after_refresh(outcome, stale)

    def _run_sync(
        self,
        key: str,
        future: concurrent.futures.Future[Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        stale: Entry | None,
    ) -> None:
        assert self.local is not None
        try:
            self.stats.loads += 1
            try:
                outcome = self.fn(*args, **kwargs)
            except BaseException:
                self.stats.loader_errors += 1
                raise
            entry = self.entry_for(outcome, args, kwargs, stale)
            if entry is not None:
                self.local.put(key, entry)
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(outcome)
        finally:
            with self._sync_lock:
                if self._sync_flights.get(key) is future:
                    del self._sync_flights[key]
