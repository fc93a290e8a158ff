"""Waiting for a condition in tests: poll with a deadline instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable


async def until(condition: Callable[[], object], *, within: float = 30.0) -> None:
    """Poll ``condition()`` until it is true; fail after ``within`` seconds of real time.

    For state that another task, process or server changes (a lease, a counter, a Redis key)
    and no event announces. ``within`` only bounds the wait: a loaded machine is slow, so it
    is generous, and a test never asserts how quickly the condition came.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for _ in itertools.count():
        if condition():
            return
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.005)
    raise AssertionError(f"condition not reached within {within} s")
