"""The group-committing PostgreSQL writer (asyncpg), the twin of ``_database.SqliteGroupWriter``.

A write is one SQL statement and its arguments. When the writer is idle a write runs on the
caller's task as one statement, its own transaction: one round trip. Writes queued while
the connection is busy go into the next transaction, where consecutive writes of the same
statement are sent with ``executemany`` (pipelined: one round trip for all of them), so a
burst of finishing tasks costs a few round trips and one commit, not one each. Writes run in
the order they were queued. :meth:`AsyncpgGroupWriter.fetchval` also hands back the
statement's first value (a count of ``RETURNING`` rows, say), for a caller that must see
what its write did. If the server refuses a batch, each write is retried in its own
transaction so only the failing one raises. Each caller returns once its transaction is
committed. One connection, bound to the event loop that first writes; ``server_settings``
(``{"synchronous_commit": "off"}``, ...) apply to it.

A lost link (:func:`link_lost`: the server ended the session, the socket broke) is met by
what can have been committed. A batch cut before its COMMIT went out committed nothing, so
it is sent once more, whole, on a fresh connection. A lone write, or a batch whose COMMIT
was in flight, may have landed before the link dropped: a write marked ``idempotent=True``
(an upsert setting every column it writes, so sending it twice leaves what sending it once
does: the run store's) is sent once more; any other (the default: a saga log append adds
events, so twice is not once) is not sent again, and its caller gets the lost-link error
with a note saying it may or may not have been committed. Whatever is sent again goes
before anything queued after it, and its caller sees only the second outcome; a second
loss fails it. The good path is unchanged: no check, no extra round trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, NamedTuple

_MAX_BATCH = 1024


class _Write(NamedTuple):
    sql: str
    args: Sequence[Any]
    fetch: bool  # whether the caller wants the statement's first value
    idempotent: bool  # whether it may be sent again after a lost link


class _Uncommitted(Exception):
    """A statement of a batch failed (``error``): its COMMIT was never sent."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class AsyncpgGroupWriter:
    """Group-committed statements on one asyncpg connection (see the module docstring)."""

    def __init__(self, dsn: str, *, server_settings: dict[str, str] | None = None) -> None:
        self._dsn = dsn
        self._settings = server_settings or {}
        self._con: Any = None
        self._pending: list[tuple[_Write, asyncio.Future[Any]]] = []
        self._busy = False  # the connection is in use: a write on its caller's task, or a flush
        self._idle: list[asyncio.Future[None]] = []  # closers waiting for the connection
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, sql: str, args: Sequence[Any], *, idempotent: bool = False) -> None:
        """Run ``sql`` with ``args`` in the next transaction; return once it is committed.

        ``idempotent=True`` says running the statement twice leaves what running it once
        does, so after a lost link it is sent once more instead of failing (module docstring).
        """
        await self._submit(_Write(sql, args, False, idempotent))

    async def fetchval(self, sql: str, args: Sequence[Any], *, idempotent: bool = False) -> Any:
        """As :meth:`write`, and return the statement's first value once it is committed."""
        return await self._submit(_Write(sql, args, True, idempotent))

    async def _submit(self, write: _Write) -> Any:
        if self._busy:  # a commit is in flight: join the next transaction
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._pending.append((write, future))
            return await future
        self._busy = True  # idle: this write alone, on the caller's task
        try:
            [outcome] = await self._outcomes([write])
        finally:
            self._release()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _release(self) -> None:
        """Hand the connection to a flush of what was queued meanwhile, or mark it idle."""
        if self._pending:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())
            return
        self._busy, self._flushing = False, None
        for waiter in self._idle:
            if not waiter.done():
                waiter.set_result(None)
        self._idle.clear()

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[:_MAX_BATCH]
            del self._pending[:_MAX_BATCH]
            try:
                outcomes = await self._outcomes([write for write, _ in batch])
            except BaseException:  # cancelled (the loop is closing): so are the waiters
                for _, future in batch + self._pending:
                    future.cancel()
                self._pending.clear()
                self._release()
                raise
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        self._release()

    async def _outcomes(self, writes: list[_Write], resend: bool = True) -> list[Any]:
        """Each write's value or exception: all in one transaction, else each in its own.

        What is sent again follows from what can have been committed. A batch the server
        refused committed nothing: it is retried write by write (a refused lone write just
        fails). A batch whose link was lost before its COMMIT went out committed nothing
        either: it is sent once more, whole. A write in flight when the link was lost
        otherwise (a lone write, a COMMIT) may have landed: only the idempotent ones are sent
        once more. ``resend`` is False on that second sending.
        """
        try:
            con = await self._connection()
        except Exception as unreachable:  # nothing was sent
            return [unreachable] * len(writes)
        try:
            return await self._commit(con, writes)
        except _Uncommitted as uncommitted:
            if link_lost(uncommitted.error):
                if resend:
                    return await self._outcomes(writes, resend=False)
                lost = _noted(uncommitted.error, "lost again when this batch was sent again")
                return [lost] * len(writes)
        except Exception as exc:
            if link_lost(exc):
                return await self._after_lost_link(writes, exc, resend)
            if len(writes) == 1:
                return [exc]
        outcomes: list[Any] = []
        for write in writes:
            outcomes += await self._outcomes([write], resend)
        return outcomes

    async def _after_lost_link(
        self, writes: list[_Write], lost: Exception, resend: bool
    ) -> list[Any]:
        """``writes`` may have been committed: send the idempotent ones again, once, in order;
        the others fail with ``lost``."""
        again = [write for write in writes if write.idempotent] if resend else []
        if len(again) < len(writes):
            _noted(
                lost,
                "lost with this write in flight; it may or may not have been committed, and"
                + (
                    " was not sent again (only writes marked idempotent are)"
                    if resend
                    else " this was its second sending"
                ),
            )
        if not again:
            return [lost] * len(writes)
        values = iter(await self._outcomes(again, resend=False))
        return [next(values) if write.idempotent else lost for write in writes]

    async def _connection(self) -> Any:
        if self._con is None or self._con.is_closed():
            import asyncpg

            self._con = await asyncpg.connect(self._dsn, server_settings=self._settings)
        return self._con

    async def _commit(self, con: Any, writes: list[_Write]) -> list[Any]:
        """Run ``writes`` as one transaction. A batch that failed before its COMMIT was sent
        (at BEGIN or a statement) raises :class:`_Uncommitted` with that first error."""
        committing = False
        failed: Exception | None = None  # a statement's error (not the ROLLBACK's after it)
        try:
            if len(writes) == 1:  # one statement is its own transaction: one round trip
                return [await _execute(con, writes[0])]
            async with con.transaction():
                try:
                    values = await _execute_all(con, writes)
                except Exception as exc:
                    failed = exc
                    raise
                committing = True
            return values
        except BaseException as exc:
            if not reusable_after(exc):  # maybe mid-protocol: never reuse it
                con.terminate()
                self._con = None
            if not committing and len(writes) > 1 and isinstance(exc, Exception):
                raise _Uncommitted(failed or exc) from exc
            raise

    async def close(self) -> None:
        """Wait for queued and running writes, then close the connection."""
        if self._busy:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._idle.append(waiter)
            await waiter
        if self._con is not None:
            con, self._con = self._con, None
            await con.close()


async def _execute(con: Any, write: _Write) -> Any:
    if write.fetch:
        return await con.fetchval(write.sql, *write.args)
    await con.execute(write.sql, *write.args)
    return None


async def _execute_all(con: Any, writes: list[_Write]) -> list[Any]:
    """Run ``writes`` in order; a run of the same statement without values is pipelined."""
    values: list[Any] = []
    start = 0
    while start < len(writes):
        first = writes[start]
        end = start + 1
        while (
            not first.fetch
            and end < len(writes)
            and writes[end].sql == first.sql
            and not writes[end].fetch
        ):
            end += 1
        if end - start == 1:
            values.append(await _execute(con, first))
        else:
            await con.executemany(first.sql, [w.args for w in writes[start:end]])
            values += [None] * (end - start)
        start = end
    return values


def _noted(exc: Exception, note: str) -> Exception:
    exc.add_note(f"rfs: the connection to PostgreSQL was {note}")
    return exc


def reusable_after(exc: BaseException) -> bool:
    """Whether a connection that raised ``exc`` can be reused: a server error, not a lost link."""
    import asyncpg

    return isinstance(exc, asyncpg.PostgresError) and not isinstance(
        exc, asyncpg.PostgresConnectionError | asyncpg.OperatorInterventionError
    )


def link_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection broke, so a write in flight may have been committed."""
    import asyncpg

    return isinstance(
        exc,
        OSError
        | asyncpg.PostgresConnectionError
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError,
    )
