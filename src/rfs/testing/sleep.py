"""``RecordingSleep``: an ``asyncio.sleep`` stand-in that records delays instead of waiting."""

from __future__ import annotations

import asyncio

__all__ = ["RecordingSleep"]


class RecordingSleep:
    """Pass as ``sleep=`` (e.g. to ``MonoResult.retry``); ``delays`` lists what was asked.

    Each call yields to the event loop once (``asyncio.sleep(0)``) so other tasks still run.
    """

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)

    @property
    def total(self) -> float:
        """The sum of the recorded delays, in seconds."""
        return sum(self.delays)
