"""``ColdStartOptimizer`` (seed 000): preload modules, run warm-ups, freeze the heap, measured.

Call it once at startup, before the first request::

    optimizer = ColdStartOptimizer()
    optimizer.preload_modules(["json", "sqlite3"])
    optimizer.register_warmup(open_pool)
    await optimizer.warm_up()          # concurrently, with a timeout; failures reported
    optimizer.optimize_memory()        # gc.collect() + gc.freeze(), before forking workers
    metrics = optimizer.get_metrics()
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import inspect
import logging
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from rfs.result import Failure, Result, Success

if TYPE_CHECKING:
    from rfs.async_tasks.threads import DaemonThreads
from rfs.serverless.metrics import ModuleImport, StartupMetrics, WarmupFailed, WarmupOutcome

__all__ = ["ColdStartOptimizer"]

log = logging.getLogger("rfs.serverless")

DEFAULT_WARMUP_TIMEOUT = 30.0
_THREADS: list[DaemonThreads] = []  # made on the first sync warm-up


class ColdStartOptimizer:
    """Startup helper for serverless deployments (Cloud Run, Lambda), with real timings.

    ``config`` may hold ``warmup_timeout`` (seconds each warm-up may take, default 30).
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = dict(config or {})
        timeout = self.config.get("warmup_timeout", DEFAULT_WARMUP_TIMEOUT)
        if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
            raise ValueError(f"warmup_timeout must be a number of seconds > 0, got {timeout!r}")
        self.warmup_timeout: float | None = timeout
        self.start_time = time.time()
        self._started = time.perf_counter()
        self._ready: float | None = None
        self.metrics = StartupMetrics(0, 0, 0, 0)
        self._preloaded_modules: list[str] = []
        self._warmup_functions: list[Callable[[], Any]] = []

    def preload_modules(self, modules: list[str]) -> list[ModuleImport]:
        """Import ``modules`` now, timing each; a failure is recorded and logged, not raised."""
        records = []
        for name in modules:
            already = name in sys.modules
            before = len(sys.modules)
            start = time.perf_counter()
            error = None
            try:
                importlib.import_module(name)
            except Exception as exc:  # a module failing at import is reported, not fatal
                error = f"{type(exc).__name__}: {exc}"
                log.warning("preload of %s failed: %s", name, error)
            else:
                self._preloaded_modules.append(name)
            seconds = time.perf_counter() - start
            record = ModuleImport(name, seconds, len(sys.modules) - before, already, error)
            records.append(record)
            self.metrics.import_time += seconds
        self.metrics.modules.extend(records)
        return records

    @contextlib.contextmanager
    def initialization(self) -> Iterator[None]:
        """Time the block as initialisation (building the DI container, reading config)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.metrics.initialization_time += time.perf_counter() - start

    def register_warmup(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Add a warm-up (sync or async, no arguments); returns it, so it works as a decorator."""
        if not callable(func):
            raise TypeError(f"register_warmup needs a function, got {func!r}")
        self._warmup_functions.append(func)
        return func

    async def warm_up(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 - each warm-up's own limit
    ) -> Result[list[WarmupOutcome], WarmupFailed]:
        """Run every warm-up concurrently (sync ones in threads), each within ``timeout``.

        ``Success(outcomes)`` when all succeeded; ``Failure(WarmupFailed)`` naming those that
        raised, returned a ``Failure`` or timed out. Outcomes are in ``get_metrics().warmups``.
        """
        limit = self.warmup_timeout if timeout is None else timeout
        start = time.perf_counter()
        outcomes = list(await asyncio.gather(*(_run(f, limit) for f in self._warmup_functions)))
        self.metrics.warmup_time += time.perf_counter() - start
        self.metrics.warmups.extend(outcomes)
        if any(not o.ok for o in outcomes):
            failed = WarmupFailed(outcomes)
            log.warning("%s", failed)
            return Failure(failed)
        return Success(outcomes)

    def warm_up_cache(self) -> Result[list[WarmupOutcome], WarmupFailed]:
        """Run the warm-ups from sync startup code (seed 000's name); inside a running event
        loop use ``await warm_up()`` instead."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.warm_up())
        raise RuntimeError("warm_up_cache() blocks; inside an event loop use await warm_up()")

    def optimize_memory(self) -> int:
        """``gc.collect()`` then ``gc.freeze()``: move every live object to the permanent
        generation, so collections skip them and forked workers keep sharing their pages.
        Returns how many objects are frozen."""
        gc.collect()
        gc.freeze()
        return gc.get_freeze_count()

    def mark_ready(self) -> StartupMetrics:
        """Record that the application is ready: ``total_time`` stops here."""
        self._ready = time.perf_counter()
        return self.get_metrics()

    def get_metrics(self) -> StartupMetrics:
        """The metrics so far; ``total_time`` runs until ``mark_ready()`` (or now)."""
        end = self._ready if self._ready is not None else time.perf_counter()
        self.metrics.total_time = end - self._started
        return self.metrics


def _threads() -> DaemonThreads:
    """Daemon threads, so a stuck sync warm-up never blocks the process's exit."""
    if not _THREADS:
        from rfs.async_tasks.threads import DaemonThreads

        _THREADS.append(DaemonThreads("rfs-warmup"))
    return _THREADS[0]


async def _run(func: Callable[[], Any], limit: float | None) -> WarmupOutcome:
    name = getattr(func, "__qualname__", None) or repr(func)
    start = time.perf_counter()
    error = None
    try:
        async with asyncio.timeout(limit):
            if inspect.iscoroutinefunction(func):
                value = await func()
            else:
                value = await _threads().run(func, (), {})
                if inspect.isawaitable(value):
                    value = await value
        if isinstance(value, Failure):
            error = f"Failure: {value.error}"
    except TimeoutError:
        error = f"timed out after {limit:g} s"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    return WarmupOutcome(name, time.perf_counter() - start, error)
