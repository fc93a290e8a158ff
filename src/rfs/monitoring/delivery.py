"""Alert delivery off the instrumented path: a bounded queue drained by one daemon thread that
calls callbacks and POSTs webhooks (httpx, with a timeout). A full queue drops the notification
and counts it, so a hanging or failing receiver never blocks or slows the caller."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from rfs._require import require

_log = logging.getLogger("rfs.monitoring.alerts")

Notification = dict[str, Any]
Callback = Callable[[Notification], object]


async def _awaited(outcome: Awaitable[object]) -> None:
    await outcome


class Deliverer:
    """Delivers notifications to callbacks (sync or async) and webhook URLs from a background
    thread."""

    def __init__(self, max_queue: int = 1000, webhook_timeout: float = 5.0) -> None:
        self._queue: queue.Queue[tuple[Callback | str, Notification] | None] = queue.Queue(
            max_queue
        )
        self.webhook_timeout = webhook_timeout
        self.dropped = 0
        self.delivered = 0
        self.failed = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._client: Any = None

    def submit(self, target: Callback | str, notification: Notification) -> bool:
        """Queue one delivery; False (and counted in ``dropped``) when the queue is full."""
        self._ensure_thread()
        try:
            self._queue.put_nowait((target, notification))
        except queue.Full:
            self.dropped += 1
            return False
        return True

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="rfs-alert-delivery", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                target, notification = item
                if isinstance(target, str):
                    self._post(target, notification)
                elif inspect.isawaitable(outcome := target(notification)):
                    asyncio.run(_awaited(outcome))  # an async callback, on this thread's loop
                self.delivered += 1
            except Exception as exc:
                self.failed += 1
                _log.warning("alert delivery failed: %s", exc)
            finally:
                self._queue.task_done()

    def _post(self, url: str, notification: Notification) -> None:
        if self._client is None:
            httpx = require("monitoring", "httpx", "webhook alerts")
            self._client = httpx.Client(timeout=self.webhook_timeout)
        response = self._client.post(url, json=notification)
        response.raise_for_status()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the queue is drained (tests, shutdown); False on timeout."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def close(self) -> None:
        """Stop the delivery thread after what is queued (does not wait for it)."""
        if self._thread is not None and self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
