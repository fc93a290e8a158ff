"""``CeleryExecutor``: task attempts sent to Celery workers over RabbitMQ or Redis."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from rfs.pipeline.executors._shared_io import refuse_process_local
from rfs.pipeline.executors.attempt import AttemptOutcome, AttemptStatus, TaskAttempt
from rfs.pipeline.executors.celery_app import (
    DEFAULT_QUEUE,
    TASK_NAME,
    create_celery_app,
    outcome_from_dict,
)
from rfs.pipeline.executors.celery_wire import encode_attempt

__all__ = ["CeleryExecutor"]

_READY = frozenset({"SUCCESS", "FAILURE", "REVOKED"})
_FAST_POLL = 0.001  # seconds between result checks right after a submit or a result
_FAST_WINDOW = 0.2  # how long after a submit checks stay fast


class CeleryExecutor:
    """Sends each attempt to a Celery worker started with ``rfs worker``; the same code runs.

    ``broker_url`` is RabbitMQ (``amqp://...``) or Redis (``redis://...``); ``backend_url`` a
    Celery result backend (Redis recommended) that only carries each attempt's small
    outcome. Outputs travel through the attempt's I/O manager, which workers must reach too:
    a shared filesystem path or an fsspec URL (a relative filesystem path is made absolute
    here). Delivery is at least once: a worker killed mid-task has its message redelivered
    to another worker. A task's ``timeout`` becomes its Celery soft time limit, with the
    hard limit ``hard_limit_grace`` seconds later.

    Without arguments, settings come from ``RFS_CELERY_BROKER_URL``, ``RFS_CELERY_BACKEND_URL``
    and ``RFS_CELERY_QUEUE`` (as for ``rfs run --executor celery``), then a local RabbitMQ
    broker, a local Redis backend and the queue ``rfs``. ``queue`` must match the worker's
    ``--queue``. ``poll_interval`` is the longest wait between result checks (checks start
    fast and back off); when the result backend stays unreachable for ``backend_timeout``
    seconds, the attempts waiting on it are reported failed.

    Attempts travel as JSON (the function by reference, inputs by reference to the I/O
    manager); with ``signing_key`` (default ``RFS_SIGNING_KEY``) every message is signed
    and what JSON cannot carry goes as a signed pickle. Workers must hold the same key.
    See :mod:`rfs.pipeline.executors.celery_wire` for what a worker accepts.
    """

    name = "celery"

    def __init__(
        self,
        broker_url: str | None = None,
        backend_url: str | None = None,
        *,
        queue: str | None = None,
        poll_interval: float = 0.05,
        hard_limit_grace: float = 5.0,
        backend_timeout: float = 60.0,
        app: Any = None,
        signing_key: bytes | str | None = None,
        **settings: Any,
    ) -> None:
        self.broker_url = broker_url
        self.backend_url = backend_url
        self.queue = queue or os.environ.get("RFS_CELERY_QUEUE") or DEFAULT_QUEUE
        self.poll_interval = poll_interval
        self.hard_limit_grace = hard_limit_grace
        self.backend_timeout = backend_timeout
        self._signing_key = signing_key
        self._settings = settings
        self._app = app
        self._io: ThreadPoolExecutor | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._last_submit = 0.0

    @property
    def app(self) -> Any:
        """The Celery app (created on first use)."""
        if self._app is None:
            self._app = create_celery_app(
                self.broker_url, self.backend_url, queue=self.queue, **self._settings
            )
        return self._app

    async def start(self) -> None:
        """Create the app and check that the broker answers (``ConnectionError`` if not)."""
        if self._io is None:
            # one thread for every broker and backend call: Celery clients are not all
            # thread-safe, and the calls are short
            self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rfs-celery")
        await self._call(self._check_broker)

    def _check_broker(self) -> None:
        try:
            with self.app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=2, interval_start=0.1, interval_step=0.2)
        except Exception as exc:
            url = self.app.conf.broker_url
            raise ConnectionError(f"Celery broker {url} is not reachable: {exc}") from exc

    async def _call(self, fn: Any, *args: Any) -> Any:
        if self._io is None:
            await self.start()
        return await asyncio.get_running_loop().run_in_executor(self._io, fn, *args)

    # -- submitting ---------------------------------------------------------------------------
    async def submit(self, attempt: TaskAttempt) -> AttemptOutcome:
        """Send one attempt to the workers and wait for its outcome."""
        started = time.time()
        refused = refuse_process_local(attempt, self.name, started)
        if refused is not None:
            return refused
        try:
            blob = encode_attempt(_portable(attempt), key=self._signing_key)
        except Exception as exc:
            return AttemptOutcome.failed(
                f"task {attempt.task_name!r} cannot be sent to Celery workers: "
                f"{type(exc).__name__}: {exc}",
                error_type=type(exc).__name__,
                started_at=started,
                retryable=False,
            )
        task_id = f"{attempt.run_id}.{attempt.task_name}.{attempt.attempt}.{uuid.uuid4().hex[:12]}"
        options: dict[str, Any] = {"queue": self.queue, "task_id": task_id}
        if attempt.timeout is not None:
            options["soft_time_limit"] = attempt.timeout
            options["time_limit"] = attempt.timeout + self.hard_limit_grace
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[task_id] = future
        try:
            await self._call(lambda: self.app.send_task(TASK_NAME, args=[blob], **options))
            self._last_submit = asyncio.get_running_loop().time()
            self._ensure_poller()
            meta = await future
        except asyncio.CancelledError:
            self._pending.pop(task_id, None)
            if self._io is not None:  # stop it on its worker, without waiting for that
                self._io.submit(self._revoke, task_id)
            raise
        except Exception as exc:  # the broker refused the message, or the backend is gone
            self._pending.pop(task_id, None)
            return AttemptOutcome.failed(
                f"task {attempt.task_name!r} on Celery: {type(exc).__name__}: {exc}",
                error_type=type(exc).__name__,
                started_at=started,
            )
        state, result = meta.get("status"), meta.get("result")
        if state == "SUCCESS" and isinstance(result, dict):
            try:
                return outcome_from_dict(result)
            except (KeyError, TypeError, ValueError) as exc:
                return AttemptOutcome.failed(
                    f"task {attempt.task_name!r}: unreadable outcome from the worker: {exc!r}",
                    error_type="ExecutorError",
                    started_at=started,
                )
        return _failed_meta(attempt, state, result, meta.get("traceback"), started)

    def _revoke(self, task_id: str) -> None:
        with contextlib.suppress(Exception):
            self.app.control.revoke(task_id, terminate=True, signal="SIGKILL")

    # -- waiting for results ------------------------------------------------------------------
    def _ensure_poller(self) -> None:
        loop = asyncio.get_running_loop()
        if self._poller is None or self._poller.done() or self._poller.get_loop() is not loop:
            # attempts left over from an earlier event loop can never be awaited again
            self._pending = {i: f for i, f in self._pending.items() if f.get_loop() is loop}
            self._poller = loop.create_task(self._poll())

    async def _poll(self) -> None:
        # check every millisecond while results are fresh (short tasks come back fast), then
        # back off to ``poll_interval`` for long-running ones
        loop = asyncio.get_running_loop()
        delay = _FAST_POLL
        failing_since: float | None = None
        while self._pending:
            ids = [i for i, f in self._pending.items() if not f.done()]
            try:
                metas: dict[str, dict[str, Any]] = await self._call(self._fetch, ids)
            except Exception as exc:  # the result backend is unreachable: retry for a while
                now = loop.time()
                failing_since = failing_since or now
                if now - failing_since > self.backend_timeout:
                    self._fail_pending(exc)
                    return
                await asyncio.sleep(min(1.0, self.poll_interval * 4))
                continue
            failing_since = None
            for task_id, meta in metas.items():
                future = self._pending.pop(task_id, None)
                if future is not None and not future.done():
                    future.set_result(meta)
            if metas or loop.time() - self._last_submit < _FAST_WINDOW:
                delay = _FAST_POLL
            else:
                delay = min(delay * 2, self.poll_interval)
            await asyncio.sleep(delay)

    def _fail_pending(self, exc: Exception) -> None:
        url = self.app.conf.result_backend
        error = ConnectionError(f"Celery result backend {url} unreachable: {exc}")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()

    def _fetch(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        backend = self.app.backend
        done: dict[str, dict[str, Any]] = {}
        for task_id in ids:
            meta = backend.get_task_meta(task_id)
            if meta.get("status") in _READY:
                done[task_id] = meta
                with contextlib.suppress(Exception):
                    backend.forget(task_id)
        return done

    async def shutdown(self) -> None:
        """Stop polling and close connections. Idempotent; does not stop the workers."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._poller
            self._poller = None
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        if self._io is not None:
            io, self._io = self._io, None
            if self._app is not None:
                with contextlib.suppress(Exception):
                    await asyncio.get_running_loop().run_in_executor(io, self._close_app)
            io.shutdown(wait=False)

    def _close_app(self) -> None:
        self._app.close()

    def __repr__(self) -> str:
        return f"CeleryExecutor(broker_url={self.broker_url!r}, queue={self.queue!r})"


def _portable(attempt: TaskAttempt) -> TaskAttempt:
    """Make a relative filesystem base path absolute, so workers elsewhere find the outputs."""
    io = attempt.io_manager
    base = getattr(io, "base_path", None)
    if isinstance(base, Path) and not base.is_absolute():
        io = copy.copy(io)
        io.base_path = base.resolve()  # type: ignore[attr-defined]
        return replace(attempt, io_manager=io)
    return attempt


def _failed_meta(
    attempt: TaskAttempt, state: Any, result: Any, tb: Any, started: float
) -> AttemptOutcome:
    """Outcome of a Celery task that did not return normally (hard time limit, revoked...)."""
    error_type = type(result).__name__ if isinstance(result, BaseException) else str(state)
    if isinstance(result, dict):  # exceptions serialized as JSON
        error_type = str(result.get("exc_type", error_type))
        result = result.get("exc_message", result)
    if error_type == "TimeLimitExceeded":
        return AttemptOutcome.failed(
            f"task {attempt.task_name!r} timed out after {attempt.timeout or 0:g}s "
            f"(Celery hard time limit)",
            error_type="TimeoutError",
            started_at=started,
            status=AttemptStatus.TIMED_OUT,
        )
    return AttemptOutcome.failed(
        f"task {attempt.task_name!r} failed on a Celery worker ({state}): {error_type}: {result}",
        error_type=error_type,
        started_at=started,
        tb=tb if isinstance(tb, str) else None,
    )
