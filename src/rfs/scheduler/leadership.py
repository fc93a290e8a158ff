"""Leadership: whether this instance may fire, kept by acquiring and renewing a leader lock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from rfs.scheduler.leader import LeaderLock

log = logging.getLogger("rfs.scheduler")

_MARGIN = 0.9  # the lease is trusted for this share of its length after a call began


class Leadership:
    """Holds the fencing token and the lease; calls back when elected or deposed.

    Without a lock the instance always leads. With one, ``start()``
    runs a task that acquires the lock while following and renews it while leading; the lease
    counts as held until ``lease * 0.9`` seconds after the last successful call began.
    ``on_resumed`` is called when a renewal succeeds after that time had passed (the renewal
    was late, the lock still ours): the instance may fire again.
    """

    def __init__(
        self,
        lock: LeaderLock | None,
        instance_id: str,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
        on_resumed: Callable[[], None] = lambda: None,
    ) -> None:
        self.lock = lock
        self.instance_id = instance_id
        self.token = 0
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._on_resumed = on_resumed
        self._leading = False
        self._valid_until = 0.0
        self._task: asyncio.Task[None] | None = None
        self._halt = asyncio.Event()

    @property
    def holds(self) -> bool:
        """Whether the lease is held right now (always, without a lock)."""
        if self.lock is None:
            return True
        return self._leading and time.monotonic() < self._valid_until

    async def elect(self, token: int) -> None:
        """Lead with ``token`` (the lock was acquired, or there is no lock)."""
        self.token = token
        self._leading = True
        if self.lock is not None:
            log.info("scheduler %s is leader (fencing token %d)", self.instance_id, token)
        await self._on_elected()

    async def depose(self, reason: str) -> None:
        """Stop leading (the lease was lost or a newer leader wrote the store)."""
        if not self._leading:
            return
        self._leading = False
        log.warning("scheduler %s stops leading: %s", self.instance_id, reason)
        await self._on_deposed()

    def start(self) -> None:
        """Contend for the lock in a background task (no-op without a lock)."""
        if self.lock is not None and self._task is None:
            self._halt.clear()
            self._task = asyncio.create_task(self._run(self.lock), name="rfs-scheduler-lead")

    async def stop_contending(self) -> None:
        """End the background task; the lease is kept until ``release()``.

        The task also ends on ``_halt``: a lock client may swallow the cancellation (redis-py
        sends through ``asyncio.wait_for``, which on Python 3.11 drops a cancellation arriving
        as the send completes), and the task then stops at its next pause instead of renewing
        forever while ``stop()`` waits for it.
        """
        task, self._task = self._task, None
        if task is not None:
            self._halt.set()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def release(self) -> None:
        """Give the lock up if held (failures are logged: the lease expires anyway)."""
        if self.lock is not None and self._leading:
            try:
                await self.lock.release()
            except Exception:
                log.warning("scheduler %s: releasing the leader lock failed", self.instance_id)
        self._leading = False

    async def _run(self, lock: LeaderLock) -> None:
        while not self._halt.is_set():
            started = time.monotonic()
            if not self._leading:
                try:
                    token = await lock.acquire()
                except Exception as exc:
                    log.warning("scheduler %s: leader lock unavailable: %s", self.instance_id, exc)
                    token = None
                if token is not None:
                    self._valid_until = started + lock.lease * _MARGIN
                    await self.elect(token)
            else:
                try:
                    renewed = await lock.renew()
                except Exception as exc:
                    log.warning("scheduler %s: lease renewal failed: %s", self.instance_id, exc)
                    renewed = time.monotonic() < self._valid_until
                    started = self._valid_until - lock.lease * _MARGIN
                if renewed:
                    lapsed = time.monotonic() >= self._valid_until
                    self._valid_until = started + lock.lease * _MARGIN
                    if lapsed and self.holds:
                        log.info("scheduler %s: late lease renewal succeeded", self.instance_id)
                        self._on_resumed()
                else:
                    await self.depose("the lease was lost")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(lock.renew_interval):
                    await self._halt.wait()
