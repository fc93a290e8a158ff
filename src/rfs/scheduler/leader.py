"""Leader election port: only the instance holding the lock fires scheduled triggers."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class LeaderLock(Protocol):
    """A lease-based lock; each successful ``acquire`` returns a larger fencing token.

    The scheduler calls ``acquire`` while it is a follower and ``renew`` every
    ``renew_interval`` seconds while it leads; it considers itself leader only until
    ``lease`` seconds after the last successful call began.
    """

    lease: float
    renew_interval: float

    async def acquire(self) -> int | None:
        """Take the lock if free: the fencing token, or None when another instance holds it."""
        ...

    async def renew(self) -> bool:
        """Extend the lease; False when the lock was lost."""
        ...

    async def release(self) -> None:
        """Give the lock up (a no-op when not held)."""
        ...

    async def close(self) -> None:
        """Release and drop connections."""
        ...
