"""``AsyncTaskManager``: runs submitted functions with bounded concurrency and typed outcomes.

At most ``max_workers`` tasks run at once; the rest wait in a priority queue (higher first,
then submission order). Workers exist only while there is work, so an idle manager holds no
asyncio task. Coroutine functions run on the loop, sync functions in daemon threads."""

from __future__ import annotations

import asyncio
import builtins
import heapq
import inspect
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rfs.async_tasks.arguments import check_count, check_seconds, is_async
from rfs.async_tasks.backoff import retry_delay
from rfs.async_tasks.errors import TaskCancelled, TaskFailed, TaskNotFound, WaitTimeout
from rfs.async_tasks.ids import new_id
from rfs.async_tasks.stats import QueueStats, Samples, ShutdownReport
from rfs.async_tasks.status import FINISHED, TaskInfo, TaskStatus, report_outcome
from rfs.monitoring import context as _ctx
from rfs.monitoring import hook
from rfs.result import Failure, Result, Success

if TYPE_CHECKING:  # both imported on first use: an app without them does not pay for them
    from rfs.async_tasks.lifecycle import EventPublisher
    from rfs.async_tasks.threads import DaemonThreads

__all__ = ["AsyncTaskManager", "ShutdownReport"]

log = logging.getLogger("rfs.async_tasks")

_PENDING = TaskStatus.PENDING
_RUNNING = TaskStatus.RUNNING
_COMPLETED = TaskStatus.COMPLETED
_FAILED = TaskStatus.FAILED
_CANCELLED = TaskStatus.CANCELLED
_NO_KWARGS: dict[str, Any] = {}


class AsyncTaskManager:
    """Runs submitted functions in the background and keeps their status and outcome.

    ``max_workers`` bounds how many run at once. ``retention`` bounds how many finished tasks
    are kept (the oldest are forgotten first; their ids then give ``TaskNotFound``).
    ``timeout`` and ``retries`` are defaults for ``submit``; a retry waits ``retry_backoff``
    seconds doubled per attempt (capped at ``max_backoff``, jittered). ``cancel_grace`` is how
    long ``cancel`` waits for a running task to stop before reporting it as ignoring the
    cancellation. ``publisher`` receives lifecycle events (see :mod:`rfs.async_tasks.lifecycle`).

    Example::

        async with AsyncTaskManager(max_workers=10) as manager:
            task_id = await manager.submit(process_data, data)
            result = await manager.get_result(task_id)
    """

    def __init__(
        self,
        max_workers: int = 10,
        *,
        retention: int = 10_000,
        timeout: float | None = None,
        retries: int = 0,
        retry_backoff: float = 0.1,
        max_backoff: float = 30.0,
        cancel_grace: float = 1.0,
        publisher: EventPublisher | None = None,
    ) -> None:
        self.max_workers = check_count(max_workers, "max_workers", 1)
        self.retention = check_count(retention, "retention", 0)
        self.default_timeout = check_seconds(timeout, "timeout")
        self.default_retries = check_count(retries, "retries", 0)
        self.retry_backoff = check_seconds(retry_backoff, "retry_backoff") or 0.0
        self.max_backoff = check_seconds(max_backoff, "max_backoff") or 0.0
        self.cancel_grace = check_seconds(cancel_grace, "cancel_grace") or 0.0
        self.publisher = publisher
        self.tasks: dict[str, TaskInfo] = {}
        self._heap: list[tuple[int, int, TaskInfo]] = []
        self._seq = itertools.count()
        self._finished: deque[str] = deque()
        self._workers: set[asyncio.Task[None]] = set()
        self._detached: set[asyncio.Task[None]] = set()  # stuck in a task that ignored cancel
        self._active = 0  # workers holding a slot (detached ones do not)
        self._threads: DaemonThreads | None = None
        self._closed = False
        self._queued = self._running = 0
        self._completed = self._failed = self._cancelled = 0
        self._submitted = self._retried = 0
        self._wait = Samples()
        self._run = Samples()

    # -- submitting ------------------------------------------------------------------------

    async def submit(
        self,
        func: Callable[..., Any],
        /,
        *args: Any,
        priority: int = 0,
        timeout: float | None = None,  # noqa: ASYNC109 - the task's limit, not this call's
        retries: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> str:
        """Queue ``func(*args, **kwargs)`` and return its task id (a uuid4 string).

        ``priority``, ``timeout``, ``retries`` and ``name`` are the manager's, not passed to
        ``func`` (wrap it in ``functools.partial`` to give it arguments of those names).
        ``timeout`` applies to each attempt and a timed-out attempt is retried like a failure.
        """
        if self._closed:
            raise RuntimeError("AsyncTaskManager is shut down; create a new one to submit tasks")
        if not callable(func):
            raise TypeError(
                f"submit needs a function and its arguments, got {func!r}; "
                "write submit(fn, *args) rather than submit(fn(*args))"
            )
        timeout = self.default_timeout if timeout is None else check_seconds(timeout, "timeout")
        retries = self.default_retries if retries is None else check_count(retries, "retries", 0)
        task_id = new_id()
        info = TaskInfo(
            task_id,
            name or getattr(func, "__qualname__", None) or repr(func),
            func,
            args,
            kwargs,
            is_async=is_async(func),
            priority=priority,
            timeout=timeout,
            retries=retries,
            created=time.time(),
        )
        self.tasks[task_id] = info
        heapq.heappush(self._heap, (-priority, next(self._seq), info))
        self._queued += 1
        self._submitted += 1
        if self._active < self.max_workers:
            self._active += 1
            worker = asyncio.get_running_loop().create_task(self._work())
            self._workers.add(worker)
        if self.publisher is not None:
            await self._emit("submitted", info)
        return task_id

    # -- queries (seed 000) ---------------------------------------------------------------

    async def get_status(self, task_id: str) -> TaskStatus | None:
        """The task's status, or ``None`` for an unknown (or evicted) id."""
        info = self.tasks.get(task_id)
        return None if info is None else info.status

    def get_info(self, task_id: str) -> TaskInfo | None:
        """The task's record (timestamps, attempts, outcome), or ``None`` for an unknown id."""
        return self.tasks.get(task_id)

    async def get_result(
        self,
        task_id: str,
        timeout: float | None = None,  # noqa: ASYNC109 - seed 000's signature
    ) -> Result[Any, Any]:
        """Wait for the task (at most ``timeout`` seconds) and return its outcome.

        ``Success(value)``, or the task's own ``Success``/``Failure`` when it returned a
        ``Result``; ``Failure(TaskFailed)`` when it raised or timed out; ``Failure(TaskCancelled)``;
        ``Failure(TaskNotFound)`` for an unknown id; ``Failure(WaitTimeout)`` when waiting ran
        out (the task goes on).
        """
        timeout = check_seconds(timeout, "timeout")
        info = self.tasks.get(task_id)
        if info is None:
            return Failure(TaskNotFound(task_id))
        if info.result is None and not await self._wait_for(info, timeout):
            return Failure(WaitTimeout(task_id, timeout or 0.0))
        assert info.result is not None
        return info.result

    def list(
        self, status: TaskStatus | str | None = None, *, limit: int | None = None
    ) -> builtins.list[TaskInfo]:
        """Known tasks in submission order, optionally of one status (an enum or its value)."""
        wanted = TaskStatus(status) if isinstance(status, str) else status
        found = [i for i in self.tasks.values() if wanted is None or i.status is wanted]
        return found if limit is None else found[:limit]

    def stats(self) -> QueueStats:
        """Queue figures: counts now and since start, p50/p99 wait and run times."""
        return QueueStats(
            queued=self._queued,
            running=self._running,
            completed=self._completed,
            failed=self._failed,
            cancelled=self._cancelled,
            submitted=self._submitted,
            retried=self._retried,
            max_workers=self.max_workers,
            wait_p50=self._wait.percentile(50),
            wait_p99=self._wait.percentile(99),
            run_p50=self._run.percentile(50),
            run_p99=self._run.percentile(99),
        )

    # -- cancelling -----------------------------------------------------------------------

    async def cancel(self, task_id: str) -> bool:
        """Cancel a queued or running task; ``False`` when it is unknown or already finished.

        A queued task never starts. A running coroutine gets ``CancelledError``; if it has not
        stopped after ``cancel_grace`` seconds (or is a sync function, which a thread cannot
        interrupt) it is marked ``cancel_ignored``, its outcome discarded and its slot freed.
        """
        info = self.tasks.get(task_id)
        if info is None or info.status in FINISHED:
            return False
        if info.status is _PENDING:
            self._finish(info, _CANCELLED, Failure(TaskCancelled(task_id, started=False)))
            await self._announce(info)
            return True
        self._request_cancel(info)
        if not await self._wait_for(info, self.cancel_grace):
            self._detach(info)
            await self._announce(info)
        return True

    def _request_cancel(self, info: TaskInfo) -> None:
        if not info.cancel_requested and info._worker is not None:
            info.cancel_requested = True
            info._worker.cancel()

    def _detach(self, info: TaskInfo) -> None:
        """Give up on a running task that ignores cancellation: outcome discarded, slot freed."""
        worker = info._worker
        if info.status is not _RUNNING or worker is None:
            return
        info.cancel_ignored = True
        log.warning("task %s (%s) ignores cancellation, may still run", info.id, info.name)
        self._detached.add(worker)
        self._finish(info, _CANCELLED, Failure(TaskCancelled(info.id, started=True, ignored=True)))
        self._active -= 1
        self._spawn_if_needed()

    async def _emit(self, kind: str, info: TaskInfo) -> None:
        from rfs.async_tasks import lifecycle

        if self.publisher is not None:
            await lifecycle.emit(self.publisher, f"tasks.{kind}", info)

    def _thread_pool(self) -> DaemonThreads:
        if self._threads is None:
            from rfs.async_tasks.threads import DaemonThreads

            self._threads = DaemonThreads("rfs-async-task")
        return self._threads

    async def _announce(self, info: TaskInfo) -> None:
        if self.publisher is not None and info.status in FINISHED:
            await self._emit(info.status.value, info)

    # -- shutting down --------------------------------------------------------------------

    async def shutdown(
        self,
        wait: bool = True,
        *,
        cancel: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds the wait or the cancel grace
    ) -> ShutdownReport:
        """Stop accepting tasks; then wait for them, or cancel them, or neither.

        ``cancel=True`` cancels queued tasks (they never start) and running ones, waiting at
        most ``timeout`` seconds (default ``cancel_grace``) for them to stop; those that do not
        are reported in ``ignored_cancel``. ``wait=True`` (without ``cancel``) waits for every
        task, at most ``timeout`` seconds (default: no limit); tasks left are in ``unfinished``.
        """
        timeout = check_seconds(timeout, "timeout")
        self._closed = True
        cancelled: builtins.list[str] = []
        ignored: builtins.list[str] = []
        unfinished: builtins.list[str] = []
        if cancel:
            queued = [info for _, _, info in self._heap if info.status is _PENDING]
            self._heap.clear()
            for info in queued:
                self._finish(info, _CANCELLED, Failure(TaskCancelled(info.id, started=False)))
                cancelled.append(info.id)
                await self._announce(info)
            running = [i for i in self.tasks.values() if i.status is _RUNNING]
            for info in running:
                self._request_cancel(info)
            grace = self.cancel_grace if timeout is None else timeout
            await self._wait_all(running, grace)
            for info in running:
                if info.status is _RUNNING:
                    self._detach(info)
                    await self._announce(info)
                (ignored if info.cancel_ignored else cancelled).append(info.id)
        elif wait:
            waiting = [i for i in self.tasks.values() if i.status not in FINISHED]
            await self._wait_all(waiting, timeout)
            unfinished = [i.id for i in waiting if i.status not in FINISHED]
        if not unfinished and self._threads is not None:
            self._threads.close()
        if ignored:
            log.warning("shutdown: %d task(s) ignored cancellation: %s", len(ignored), ignored)
        return ShutdownReport(tuple(cancelled), tuple(ignored), tuple(unfinished))

    async def __aenter__(self) -> AsyncTaskManager:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Wait for the tasks when the block ends normally; cancel them when it raised."""
        await self.shutdown(wait=exc is None, cancel=exc is not None)

    # -- running --------------------------------------------------------------------------

    def _spawn_if_needed(self) -> None:
        if self._heap and self._active < self.max_workers:
            self._active += 1
            worker = asyncio.get_running_loop().create_task(self._work())
            self._workers.add(worker)

    async def _work(self) -> None:
        """Take queued tasks until none is left; exit (a detached worker exits after its task)."""
        me = asyncio.current_task()
        assert me is not None
        heap = self._heap
        try:
            while heap and me not in self._detached:
                info = heapq.heappop(heap)[2]
                if info.status is _PENDING:  # else cancelled while queued
                    token = _ctx.bind_correlation_id(info.correlation_id)  # the submitter's
                    try:
                        await self._execute(info, me)
                    finally:
                        _ctx.reset_correlation_id(token)
        finally:
            self._workers.discard(me)
            if me in self._detached:
                self._detached.discard(me)  # its slot was handed on when it was detached
            else:
                self._active -= 1

    async def _execute(self, info: TaskInfo, me: asyncio.Task[None]) -> None:
        info.status = _RUNNING
        info.started = started = time.time()
        info._worker = me
        self._queued -= 1
        self._running += 1
        self._wait.add(started - info.created)
        publisher = self.publisher
        try:
            if publisher is not None:
                await self._emit("started", info)
            while True:
                info.attempts += 1
                func = info._func
                if info._is_async and info.timeout is None and func is not None:  # inlined
                    try:
                        value = await func(*info._args, **info._kwargs)
                    except Exception as exc:
                        outcome: Result[Any, Any] = Failure(TaskFailed(info.id, exc, info.attempts))
                    else:
                        outcome = value if isinstance(value, Success | Failure) else Success(value)
                else:
                    outcome = await self._attempt(info)
                if type(outcome) is Success:
                    status = _COMPLETED
                    break
                if info.attempts > info.retries:
                    status = _FAILED
                    break
                self._retried += 1
                if publisher is not None:
                    await self._emit("retrying", info)
                await asyncio.sleep(
                    retry_delay(info.attempts, self.retry_backoff, self.max_backoff)
                )
        except asyncio.CancelledError:
            if info.status is not _RUNNING:  # detached earlier: already reported
                if info.cancel_requested:
                    me.uncancel()
                    return
                raise
            ignored = not info._is_async  # its thread goes on
            info.cancel_ignored = ignored
            self._finish(
                info, _CANCELLED, Failure(TaskCancelled(info.id, started=True, ignored=ignored))
            )
            if info.cancel_requested:
                me.uncancel()  # our own cancel, consumed: the worker goes on
            elif me.cancelling():
                raise  # cancelled from outside (the loop is closing): let it propagate
            # else the task raised CancelledError itself: the worker goes on
        else:
            self._finish(info, status, outcome)
        if publisher is not None:
            await self._announce(info)

    async def _attempt(self, info: TaskInfo) -> Result[Any, Any]:
        """One run of the task: its value as a Result, exceptions and timeouts as TaskFailed."""
        func = info._func
        assert func is not None
        limit = None
        try:
            if info._is_async:
                if info.timeout is None:
                    value = await func(*info._args, **info._kwargs)
                else:
                    async with asyncio.timeout(info.timeout) as limit:
                        value = await func(*info._args, **info._kwargs)
            else:
                future = self._thread_pool().run(func, info._args, info._kwargs)
                if info.timeout is None:
                    value = await future
                else:
                    async with asyncio.timeout(info.timeout) as limit:
                        value = await future
                if inspect.isawaitable(value):  # a sync function returning a coroutine
                    value = await value
        except Exception as exc:
            error: BaseException = exc
            if limit is not None and limit.expired():
                late = "" if info._is_async else "; its thread is still running"
                error = TimeoutError(f"exceeded its {info.timeout:g} s timeout{late}")
            return Failure(TaskFailed(info.id, error, info.attempts))
        if isinstance(value, Success | Failure):
            return value
        return Success(value)

    def _finish(self, info: TaskInfo, status: TaskStatus, result: Result[Any, Any]) -> None:
        previous = info.status
        if previous is _RUNNING:
            self._running -= 1
        elif previous is _PENDING:
            self._queued -= 1
        else:
            return  # already finished
        info.status = status
        info.result = result
        info.completed = now = time.time()
        if info.started is not None:
            self._run.add(now - info.started)
            if hook.monitor is not None:
                report_outcome(info, status is _COMPLETED, result, now)
        if status is _COMPLETED:
            self._completed += 1
        elif status is _FAILED:
            self._failed += 1
        else:
            self._cancelled += 1
        info._func = info._worker = None
        info._args = ()
        info._kwargs = _NO_KWARGS
        if info._waiters:
            waiters, info._waiters = info._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        finished = self._finished
        finished.append(info.id)
        if len(finished) > self.retention:
            self.tasks.pop(finished.popleft(), None)

    # -- waiting --------------------------------------------------------------------------

    async def _wait_for(self, info: TaskInfo, limit: float | None) -> bool:
        """Wait until ``info`` is finished; ``False`` when ``limit`` seconds ran out first."""
        if info.status in FINISHED:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        info._waiters.append(waiter)
        try:
            if limit is None:
                await waiter
            else:
                await asyncio.wait_for(waiter, limit)
        except TimeoutError:
            return False
        finally:
            if waiter in info._waiters:
                info._waiters.remove(waiter)
        return True

    async def _wait_all(self, infos: builtins.list[TaskInfo], limit: float | None) -> None:
        deadline = None if limit is None else time.monotonic() + limit
        for info in infos:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not await self._wait_for(info, left):
                return
