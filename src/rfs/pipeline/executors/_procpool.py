"""A warm pool of worker processes driven from asyncio: one job per worker, kill on timeout.

Each worker is a long-lived process with its own duplex pipe. The driver sends
``(job_id, fn, args)`` (``fn`` a module-level function, pickled by reference) and the
worker replies ``(job_id, ok, value)``. The driver watches each worker's pipe *and* its
process sentinel with ``loop.add_reader``, so a worker that dies (SIGKILL, OOM, segfault)
is noticed at once, its job reported as :class:`Crashed`, and a fresh worker takes its
place. A job that outlives its timeout gets its worker killed and replaced
(:class:`TimedOut`): a stuck sync function cannot be interrupted any other way.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

__all__ = ["Crashed", "Done", "Outcome", "Raised", "TimedOut", "WorkerPool"]


@dataclass(frozen=True, slots=True)
class Done:
    """The job returned ``value``."""

    value: Any


@dataclass(frozen=True, slots=True)
class Raised:
    """The job raised (or its result could not be sent back): type name, message, traceback."""

    type_name: str
    message: str
    traceback: str


@dataclass(frozen=True, slots=True)
class TimedOut:
    """The job ran past its timeout; its worker was killed and replaced."""

    timeout: float
    pid: int


@dataclass(frozen=True, slots=True)
class Crashed:
    """The worker process died while running the job (``exitcode`` negative: killed by signal)."""

    exitcode: int | None
    pid: int

    @property
    def description(self) -> str:
        """Human-readable cause, e.g. ``killed by SIGKILL``."""
        code = self.exitcode
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return f"worker process {self.pid} killed by {signal.Signals(-code).name}"
        return f"worker process {self.pid} exited with code {code}"


Outcome = Done | Raised | TimedOut | Crashed

#: job id of a reply about the job being run when its own id could not be read
_CURRENT_JOB = -1


# --------------------------------------------------------------------------------------------
# worker side


def _die_with_parent() -> None:
    """Exit this worker as soon as the driver process dies, even in the middle of a task.

    A daemon thread waits on the parent's sentinel (a pipe closed when the parent exits), so
    a task stuck in a loop does not outlive a driver killed with SIGKILL.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - not started by multiprocessing
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="rfs-parent-watch", daemon=True).start()


def _describe(exc: BaseException) -> tuple[str, str, str]:
    return (type(exc).__qualname__, str(exc), "".join(traceback.format_exception(exc)))


def _worker_main(conn: Connection) -> None:
    """Loop of a worker process: receive a job, run it, send the outcome back."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    loop: asyncio.AbstractEventLoop | None = None
    conn.send(("ready", os.getpid(), None))
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            message = pickle.loads(data)  # nosec B301 # an anonymous Pipe() shared only with the parent that spawned this worker: no address another party can write to
        except Exception as exc:  # e.g. a class of the arguments cannot be imported here
            conn.send((_CURRENT_JOB, False, _describe(exc)))
            continue
        if message is None:
            if loop is not None:
                loop.close()
            return
        job_id, fn, args = message
        try:
            value = fn(*args)
            if asyncio.iscoroutine(value):
                if loop is None:
                    loop = asyncio.new_event_loop()
                value = loop.run_until_complete(value)
            reply: tuple[int, bool, Any] = (job_id, True, value)
        except BaseException as exc:  # the job's failure is data for the driver
            reply = (job_id, False, _describe(exc))
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # e.g. the value cannot be pickled
            conn.send((job_id, False, _describe(exc)))


# --------------------------------------------------------------------------------------------
# driver side


class _Worker:
    __slots__ = ("conn", "doomed", "future", "job_id", "process", "ready")

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.future: asyncio.Future[Outcome] | None = None
        self.job_id = -1
        self.doomed = False
        self.ready = False

    @property
    def pid(self) -> int:
        return self.process.pid or -1


class WorkerPool:
    """``max_workers`` warm processes; :meth:`run` runs one job on an idle one.

    Bound to the running event loop on first use; usable again from a later loop (e.g. a
    second ``asyncio.run``) without restarting the processes.
    """

    def __init__(self, max_workers: int, *, mp_context: str | BaseContext | None = None) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.max_workers = max_workers
        if isinstance(mp_context, BaseContext):
            self._ctx: BaseContext = mp_context
        else:
            self._ctx = multiprocessing.get_context(mp_context or "spawn")
        self._workers: list[_Worker] = []
        self._idle: deque[_Worker] = deque()
        self._waiters: deque[asyncio.Future[_Worker]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._job_ids = itertools.count(1)
        self._closed = False
        self._startup_failures = 0
        self._broken: str | None = None  # why workers cannot start, once that is clear

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` or :meth:`shutdown` was called."""
        return self._closed

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        return [w.pid for w in self._workers]

    async def start(self) -> None:
        """Start the workers (if not yet) and wait until every one is ready to take a job."""
        self._bind()
        while len(self._workers) < self.max_workers:
            self._spawn()
        deadline = asyncio.get_running_loop().time() + 60.0
        while not all(w.ready for w in self._workers):
            self._check_broken()
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError("worker processes did not start within 60 s")
            await asyncio.sleep(0.005)

    def _check_broken(self) -> None:
        if self._broken is not None:
            raise RuntimeError(self._broken)

    def _bind(self) -> None:
        self._check_broken()
        if self._closed:
            raise RuntimeError("the worker pool is shut down; create a new executor")
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        old, self._loop = self._loop, loop
        self._waiters.clear()
        for worker in list(self._workers):
            if old is not None and not old.is_closed():
                with contextlib.suppress(Exception):
                    old.remove_reader(worker.conn.fileno())
                    old.remove_reader(worker.process.sentinel)
            self._watch(worker)
            if worker.future is not None:  # a job of the old loop: nobody awaits it any more
                self._kill(worker)

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(  # type: ignore[attr-defined]
            target=_worker_main, args=(child_conn,), daemon=True, name="rfs-worker"
        )
        process.start()
        child_conn.close()
        worker = _Worker(process, parent_conn)
        self._workers.append(worker)
        self._watch(worker)
        return worker

    def _watch(self, worker: _Worker) -> None:
        assert self._loop is not None
        self._loop.add_reader(worker.conn.fileno(), self._on_message, worker)
        self._loop.add_reader(worker.process.sentinel, self._on_exit, worker)

    def _unwatch(self, worker: _Worker) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(Exception):
                self._loop.remove_reader(worker.conn.fileno())
            with contextlib.suppress(Exception):
                self._loop.remove_reader(worker.process.sentinel)

    # -- events -------------------------------------------------------------------------------
    def _on_message(self, worker: _Worker) -> None:
        try:
            job_id, ok, value = worker.conn.recv()
        except (EOFError, OSError):
            return self._on_exit(worker)  # the pipe broke: the process is going away
        if job_id == "ready":
            worker.ready = True
            self._startup_failures = 0
            if not worker.doomed and worker.future is None:
                self._release(worker)
            return None
        future = worker.future
        if job_id == _CURRENT_JOB:
            job_id = worker.job_id
        if future is None or job_id != worker.job_id:
            return None  # a late reply for a job already given up on
        worker.future = None
        if not future.done():
            future.set_result(Done(value) if ok else Raised(*value))
        if not worker.doomed:
            self._release(worker)
        return None

    def _on_exit(self, worker: _Worker) -> None:
        if worker not in self._workers:
            return
        self._unwatch(worker)
        worker.process.join(timeout=1.0)
        self._workers.remove(worker)
        with contextlib.suppress(ValueError):
            self._idle.remove(worker)
        worker.conn.close()
        future, worker.future = worker.future, None
        if future is not None and not future.done():
            future.set_result(Crashed(worker.process.exitcode, worker.pid))
        if not worker.ready:
            self._startup_failures += 1
            if self._startup_failures >= 3:
                self._broken = (
                    f"worker processes exit during start-up (last exit code "
                    f"{worker.process.exitcode}); see their stderr"
                )
                for waiter in self._waiters:
                    if not waiter.done():
                        waiter.set_exception(RuntimeError(self._broken))
                self._waiters.clear()
                return
        if not self._closed and len(self._workers) < self.max_workers:
            self._spawn()

    def _release(self, worker: _Worker) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    async def _acquire(self) -> _Worker:
        self._bind()
        while len(self._workers) < self.max_workers:
            self._spawn()  # first use without start(), or a replacement that failed
        if self._idle:
            return self._idle.popleft()
        assert self._loop is not None
        waiter: asyncio.Future[_Worker] = self._loop.create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())
            raise

    # -- running jobs -------------------------------------------------------------------------
    async def run(
        self, fn: Callable[..., Any], *args: Any, time_limit: float | None = None
    ) -> Outcome:
        """Run ``fn(*args)`` in a worker; never raises for the job's own failures.

        ``fn`` must be importable by reference (a module-level function) and ``args``
        picklable. Returns :class:`Done`, :class:`Raised`, :class:`TimedOut` or
        :class:`Crashed`. Cancelling the caller kills the worker running the job.
        """
        worker = await self._acquire()
        assert self._loop is not None
        future: asyncio.Future[Outcome] = self._loop.create_future()
        worker.future = future
        worker.job_id = next(self._job_ids)
        try:
            worker.conn.send((worker.job_id, fn, args))
        except Exception as exc:  # arguments that cannot be pickled
            worker.future = None
            self._release(worker)
            return Raised(*_describe(exc))
        try:
            if time_limit is None:
                return await asyncio.shield(future)
            return await asyncio.wait_for(asyncio.shield(future), time_limit)
        except TimeoutError:
            if future.done():
                return future.result()
            self._kill(worker)
            return TimedOut(time_limit or 0.0, worker.pid)
        except asyncio.CancelledError:
            if not future.done():
                self._kill(worker)
            raise

    def _kill(self, worker: _Worker) -> None:
        worker.doomed = True
        worker.future = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        # _on_exit (sentinel readable) reaps it and spawns the replacement.

    # -- shutdown -----------------------------------------------------------------------------
    async def aclose(self, *, grace: float = 5.0) -> None:
        """Ask idle workers to exit, wait up to ``grace`` seconds, then kill what is left."""
        if self._closed:
            return
        self._closed = True
        for waiter in self._waiters:
            waiter.cancel()
        self._waiters.clear()
        for worker in list(self._workers):
            self._unwatch(worker)
            if worker.future is None:
                with contextlib.suppress(Exception):
                    worker.conn.send(None)
        await asyncio.to_thread(self._reap_all, grace)

    def shutdown(self) -> None:
        """Stop every worker now (synchronous; kills busy ones)."""
        self._closed = True
        for worker in list(self._workers):
            self._unwatch(worker)
            if worker.future is None:
                with contextlib.suppress(Exception):
                    worker.conn.send(None)
        self._reap_all(grace=1.0)

    def _reap_all(self, grace: float = 0.0) -> None:
        deadline = time.monotonic() + grace
        for worker in self._workers:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGKILL)
                worker.process.join(timeout=5.0)
            worker.conn.close()
            future, worker.future = worker.future, None
            if future is not None and not future.done():
                with contextlib.suppress(RuntimeError):  # its loop may be closed already
                    future.cancel()
        self._workers.clear()
        self._idle.clear()
