"""Checks of the task manager's arguments (clear errors for bad values) and sync/async detection."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["check_count", "check_seconds", "is_async"]


def check_seconds(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{what} must be None or a number of seconds >= 0, got {value!r}")
    return float(value)


def check_count(value: int, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {value!r}")
    return value


_KINDS: dict[Any, bool] = {}  # function -> is a coroutine function (bounded cache)


def is_async(func: Callable[..., Any]) -> bool:
    try:
        return _KINDS[func]
    except (KeyError, TypeError):  # TypeError: an unhashable callable
        pass
    kind = inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        getattr(func, "__call__", None)  # noqa: B004 - an object with an async __call__
    )
    if len(_KINDS) >= 1024:
        _KINDS.clear()
    with contextlib.suppress(TypeError):
        _KINDS[func] = kind
    return kind
