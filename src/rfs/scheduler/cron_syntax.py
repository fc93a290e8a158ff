"""Checking and normalising crontab text before croniter expands it.

croniter accepts some expressions cron refuses (reversed ranges, steps wider than the field,
``*`` inside a list) and picks ``R`` values with process randomness. This module refuses the
former with a ``CronError`` naming the field, and replaces ``R`` (and Jenkins' ``H``) with values
derived from a stable hash, so every process computes the same schedule.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_HASH_BOUNDS = ((0, 59), (0, 23), (1, 28), (1, 12), (0, 6))  # R/H draw from safe values
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES: tuple[dict[str, int], ...] = (
    {},
    {},
    {},
    {m: i + 1 for i, m in enumerate(_MONTHS)},
    {d: i for i, d in enumerate(_DAYS)},
)
ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_SHOWN = 60  # characters of an expression or field echoed in an error
_DIGITS = 4  # longer numbers are out of range in every field
_RANDOM = re.compile(r"^[rh](?:\((\d{1,4})-(\d{1,4})\))?(?:/(\d{1,4}))?$")
_RANGE = re.compile(r"^([a-z0-9]+)-([a-z0-9]+)$")
_LONG_NUMBER = re.compile(rf"\d{{{_DIGITS + 1},}}")

_Refuse = Callable[[str], "CronError"]


class CronError(ValueError):
    """A malformed crontab expression; the message names the field and its value."""


def shown(text: str) -> str:
    """``text`` for an error message: quoted, and cut after 60 characters."""
    if len(text) <= _SHOWN:
        return repr(text)
    return f"{text[:_SHOWN]!r}... ({len(text)} characters)"


@dataclass(frozen=True)
class CronSyntax:
    """An expression as five checked fields; ``hour_star``: the hour field starts with ``*``."""

    text: str
    fields: tuple[str, ...]
    hour_star: bool


def parse_syntax(expression: str, hash_key: str | None = None) -> CronSyntax:
    """Check ``expression`` field by field and return its normalised five-field form.

    ``R``/``H`` values come from a SHA-256 of ``hash_key`` (default: the expression), the
    field and the position, never from process randomness.
    """
    text = expression.strip()
    lowered = text.lower()
    if lowered.startswith("@"):
        if lowered == "@reboot":
            raise CronError(
                "cron expression '@reboot' is not supported: the scheduler fires at times, "
                "not at start-up; use a ManualTrigger and fire it after start()"
            )
        alias = ALIASES.get(lowered)
        if alias is None:
            raise CronError(
                f"cron expression {shown(text)}: unknown alias; use one of "
                + ", ".join(sorted(ALIASES))
            )
        lowered = alias
    fields = lowered.split()
    if len(fields) != 5:
        raise CronError(
            f"cron expression {shown(text)} has {len(fields)} fields; expected 5 "
            "(minute hour day-of-month month day-of-week); seconds are not supported"
        )
    key = text if hash_key is None else hash_key
    checked = tuple(_field(text, index, value, key) for index, value in enumerate(fields))
    return CronSyntax(" ".join(checked), checked, checked[1].startswith("*"))


def _field(expression: str, index: int, value: str, key: str) -> str:
    def refuse(why: str) -> CronError:
        return CronError(
            f"cron expression {shown(expression)}: invalid {FIELD_NAMES[index]} field "
            f"{shown(value)} ({why})"
        )

    if _LONG_NUMBER.search(value):
        raise refuse("number out of range")
    items = value.split(",")
    if len(items) > 1 and any(item in ("*", "?") for item in items):
        raise refuse("'*' cannot be combined with other values in a list")
    out: list[str] = []
    for position, item in enumerate(items):
        if not item:
            raise refuse("empty list item")
        random = _RANDOM.match(item)
        if random is not None:
            out.append(_hashed(index, random, f"{key}|{index}|{position}", refuse))
            continue
        out.append(_item(index, item, refuse))
    return ",".join(out)


def _item(index: int, item: str, refuse: _Refuse) -> str:
    base, slash, step = item.partition("/")
    if slash:
        if not step.isdigit():
            raise refuse(f"step {step!r} is not a number")
        low, high = _BOUNDS[index]
        width = high - low + 1 if index != 4 else 7
        if not 1 <= int(step) <= width:
            raise refuse(f"step {step} must be between 1 and {width}")
    span = _RANGE.match(base)
    if span is None:
        return item
    first, last = _number(index, span.group(1)), _number(index, span.group(2))
    if first is None or last is None:
        return item  # not plain numbers or names: croniter judges it
    if first > last:
        raise refuse(f"reversed range {base!r}: write the smaller value first")
    if first == last:
        return span.group(1)  # 'a-a' is just 'a' (croniter would read the whole field)
    return item


def _number(index: int, token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return _NAMES[index].get(token)


def _hashed(index: int, match: re.Match[str], seed: str, refuse: _Refuse) -> str:
    low, high = _HASH_BOUNDS[index]
    if match.group(1) is not None:
        low, high = int(match.group(1)), int(match.group(2))
        field_low, field_high = _BOUNDS[index]
        if not field_low <= low < high <= field_high:
            raise refuse(f"range ({low}-{high}) must be increasing within {field_low}-{field_high}")
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    step = match.group(3)
    if step is None:
        return str(low + digest % (high - low + 1))
    every = int(step)
    if not 1 <= every <= high - low + 1:
        raise refuse(f"step {every} must be between 1 and {high - low + 1}")
    start = low + digest % every
    return f"{start}-{high}/{every}" if start < high else str(start)
