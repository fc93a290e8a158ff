"""Daemon threads for sync task functions, so a thread stuck in blocking code never holds
up the event loop's shutdown or the interpreter's exit (``ThreadPoolExecutor`` joins its
threads at exit). A thread is started only when none is idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["DaemonThreads"]

_Job = tuple[
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
    dict[str, Any],
    asyncio.AbstractEventLoop,
    "asyncio.Future[Any]",
]


class DaemonThreads:
    """Runs sync calls in daemon threads and resolves an asyncio future with the outcome."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._closed = False

    def run(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> asyncio.Future[Any]:
        """Start ``func(*args, **kwargs)`` in a thread (with the caller's contextvars)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._closed = False
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        self._jobs.put((contextvars.copy_context(), func, args, kwargs, loop, future))
        if spawn:
            threading.Thread(target=self._serve, name=self._name, daemon=True).start()
        return future

    def close(self) -> None:
        """Stop the idle threads; busy ones stop when their call returns."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._jobs.put(None)

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            context, func, args, kwargs, loop, future = job
            try:
                value = context.run(func, *args, **kwargs)
            except BaseException as exc:  # handed to the awaiting task, not lost
                _deliver(loop, future, None, exc)
            else:
                _deliver(loop, future, value, None)
            del job, context, func, args, kwargs, future
            with self._lock:
                if self._closed:
                    return
                self._idle += 1


def _deliver(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    value: Any,
    exc: BaseException | None,
) -> None:
    def settle() -> None:
        if future.done():  # cancelled or timed out: the outcome is discarded
            return
        if exc is None:
            future.set_result(value)
        else:
            future.set_exception(exc)

    with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
        loop.call_soon_threadsafe(settle)
