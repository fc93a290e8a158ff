"""Crontab expressions: parsing through croniter, fast next-fire search, DST-correct time zones.

Wall-clock rules at daylight-saving changes (those of Vixie cron):

- when the hour field is a literal ``*`` (``*`` or ``*/n``; a range such as ``0-23`` does not
  count) the schedule follows elapsed time: wall times skipped by a spring-forward change do
  not fire, and a repeated hour (fall-back) fires twice;
- otherwise a time falling in the skipped hour fires once, at the end of the gap, and a time in
  the repeated hour fires once, on its first occurrence.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rfs.scheduler.cron_syntax import FIELD_NAMES, CronError, parse_syntax, shown

__all__ = ["CronError", "CronExpression", "resolve_timezone"]

_BLANK = ("*", "*", "*", "*", "*")
# how far ahead a search looks before calling an expression "never fires" (covers Feb 29)
_SEARCH_YEARS = 9
_MINUTE = timedelta(minutes=1)


_DaySpec = tuple[frozenset[int] | None, frozenset[int] | None, bool]
_SHARED_DAYS: dict[_DaySpec, dict[tuple[int, int], list[int]]] = {}


def resolve_timezone(timezone: str | tzinfo | None) -> tzinfo:
    """An IANA name or tzinfo as a tzinfo; ``None`` is UTC. Unknown names raise ``ValueError``."""
    if timezone is None:
        return UTC
    if isinstance(timezone, tzinfo):
        return timezone
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {timezone!r}: use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from exc


@lru_cache(maxsize=2048)
def _expand(expression: str) -> tuple[list[list[object]], dict[object, object]]:
    """croniter's expansion of an expression (cached: parsing is the slow part)."""
    from croniter import croniter

    result: tuple[list[list[object]], dict[object, object]] = croniter.expand(expression)
    return result


def _diagnose(expression: str, fields: tuple[str, ...], exc: Exception) -> CronError:
    """Find the field croniter rejects and name it with its value."""
    for index, value in enumerate(fields):
        probe = list(_BLANK)
        probe[index] = value
        try:
            _expand(" ".join(probe))
        except Exception as field_exc:  # croniter raises several exception types
            return CronError(
                f"cron expression {shown(expression)}: invalid {FIELD_NAMES[index]} field "
                f"{shown(value)} ({_brief(field_exc)})"
            )
    return CronError(f"cron expression {shown(expression)} is invalid: {_brief(exc)}")


def _brief(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."


class CronExpression:
    """A parsed five-field crontab expression with a time zone.

    ``next_after(instant)`` returns the first fire instant strictly after ``instant`` (aware,
    UTC), or ``None`` when the expression never fires again.
    """

    __slots__ = (
        "_day_cache",
        "_dom",
        "_dom_last",
        "_dow",
        "_fast",
        "_hours",
        "_minutes",
        "_months",
        "_text",
        "expression",
        "hour_wildcard",
        "timezone",
    )

    def __init__(
        self,
        expression: str,
        timezone: str | tzinfo | None = None,
        *,
        hash_key: str | None = None,
    ) -> None:
        if not isinstance(expression, str) or not expression.strip():
            given = shown(expression) if isinstance(expression, str) else repr(expression)
            raise CronError(f"cron expression must be a non-empty string, got {given}")
        self.expression = expression.strip()
        self.timezone = resolve_timezone(timezone)
        syntax = parse_syntax(self.expression, hash_key)
        self._text = syntax.text
        try:
            expanded, nth = _expand(syntax.text)
        except Exception as exc:
            raise _diagnose(self.expression, syntax.fields, exc) from None
        try:
            self._adopt(expanded)
        except (ValueError, TypeError) as exc:  # an expansion this search cannot use
            raise CronError(
                f"cron expression {shown(self.expression)} is not supported: {_brief(exc)}"
            ) from None
        self.hour_wildcard = syntax.hour_star
        self._fast = not nth and "w" not in syntax.fields[2]
        if self.next_after(datetime.now(UTC)) is None:
            raise CronError(
                f"cron expression {shown(self.expression)} never fires (no matching date "
                f"within {_SEARCH_YEARS} years)"
            )

    def _adopt(self, expanded: list[list[object]]) -> None:
        """Take croniter's expanded fields as sorted value lists for the fast search."""
        if len(expanded) != 5:
            raise ValueError(f"{len(expanded)} fields; expected 5")
        minutes, hours, dom, months, dow = expanded
        self._minutes = (
            list(range(60)) if minutes == ["*"] else sorted(int(str(m)) for m in minutes)
        )
        self._hours = list(range(24)) if hours == ["*"] else sorted(int(str(h)) for h in hours)
        self._months = (
            list(range(1, 13)) if months == ["*"] else sorted(int(str(m)) for m in months)
        )
        self._dom_last = "l" in dom
        self._dom = None if dom == ["*"] else {int(str(d)) for d in dom if d != "l"}
        self._dow = None if dow == ["*"] else {int(str(d)) % 7 for d in dow}
        # 'W', '#' and 'L' in day-of-week have no fast path: croniter searches those
        # month -> matching days, shared by every expression with the same day fields
        spec = (
            None if self._dom is None else frozenset(self._dom),
            None if self._dow is None else frozenset(self._dow),
            self._dom_last,
        )
        if len(_SHARED_DAYS) > 4096:
            _SHARED_DAYS.clear()
        self._day_cache = _SHARED_DAYS.setdefault(spec, {})

    def __repr__(self) -> str:
        return f"CronExpression({self.expression!r}, timezone={self.timezone!s})"

    # -- naive wall-clock search -------------------------------------------------------------

    def _day_matches(self, year: int, month: int, day: int, last: int) -> bool:
        dom_ok: bool | None = None
        if self._dom is not None or self._dom_last:
            dom_ok = (self._dom is not None and day in self._dom) or (
                self._dom_last and day == last
            )
        dow_ok: bool | None = None
        if self._dow is not None:
            dow_ok = (calendar.weekday(year, month, day) + 1) % 7 in self._dow
        if dom_ok is None:
            return dow_ok is None or dow_ok
        if dow_ok is None:
            return dom_ok
        return dom_ok or dow_ok  # both restricted: cron matches either

    def _month_days(self, year: int, month: int) -> list[int]:
        """Matching days of one month, sorted (cached)."""
        key = (year, month)
        days = self._day_cache.get(key)
        if days is None:
            if len(self._day_cache) > 512:
                self._day_cache.clear()
            last = calendar.monthrange(year, month)[1]
            days = [d for d in range(1, last + 1) if self._day_matches(year, month, d, last)]
            self._day_cache[key] = days
        return days

    def _naive_candidates(self, start: datetime) -> Iterator[datetime]:
        """Matching naive wall times at or after ``start``, in increasing order."""
        if not self._fast:
            yield from self._croniter_candidates(start)
            return
        current: datetime | None = start
        while current is not None:
            found = self._next_naive(current)
            if found is None:
                return
            yield found
            current = found + _MINUTE

    def _croniter_candidates(self, start: datetime) -> Iterator[datetime]:
        from croniter import croniter

        begin = start - timedelta(microseconds=1)
        limit = start.replace(year=min(start.year + _SEARCH_YEARS, 9999))
        iterator = croniter(self._text, begin)
        while True:
            try:
                found: datetime = iterator.get_next(datetime)
            except Exception:  # croniter gives up on impossible dates
                return
            if found > limit:
                return
            yield found

    def _next_naive(self, start: datetime) -> datetime | None:
        """First matching naive minute at or after ``start`` (fast path)."""
        if start.second or start.microsecond:
            start = start.replace(second=0, microsecond=0) + _MINUTE
        year, month, day = start.year, start.month, start.day
        hour, minute = start.hour, start.minute
        end_year = year + _SEARCH_YEARS
        months, hours, minutes = self._months, self._hours, self._minutes
        first_hour, first_minute = hours[0], minutes[0]
        while year <= end_year:
            if month > 12:
                year, month = year + 1, 1
                continue
            if month not in months:
                i = bisect_left(months, month)
                if i == len(months):
                    year, month = year + 1, months[0]
                else:
                    month = months[i]
                day, hour, minute = 1, first_hour, first_minute
                continue
            days = self._month_days(year, month)
            i = bisect_left(days, day)
            if i == len(days):
                month, day, hour, minute = month + 1, 1, first_hour, first_minute
                continue
            if days[i] != day:
                day, hour, minute = days[i], first_hour, first_minute
            i = bisect_left(hours, hour)
            if i == len(hours):
                day, hour, minute = day + 1, first_hour, first_minute
                continue
            if hours[i] != hour:
                hour, minute = hours[i], first_minute
            j = bisect_left(minutes, minute)
            if j == len(minutes):
                hour, minute = hour + 1, first_minute
                continue
            return datetime(year, month, day, hour, minutes[j])
        return None

    # -- mapping wall times to instants ------------------------------------------------------

    def _instants(self, wall: datetime) -> list[datetime]:
        """The UTC instants at which a matching wall time fires (zero, one or two)."""
        tz = self.timezone
        first = wall.replace(tzinfo=tz, fold=0)
        if tz is UTC:
            return [first]
        early = first.astimezone(UTC)
        late = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if early == late:
            return [early]
        if early < late:  # repeated hour: the wall time happens twice
            return [early, late] if self.hour_wildcard else [early]
        # skipped hour (early > late): this wall time does not exist
        if self.hour_wildcard:
            return []
        return [_transition(tz, late, early)]

    def next_after(self, after: datetime) -> datetime | None:
        """The first fire instant strictly after ``after`` (aware), as an aware UTC datetime."""
        if after.tzinfo is None:
            raise ValueError("next_after needs an aware datetime (use datetime.now(UTC))")
        tz = self.timezone
        local = after.astimezone(tz)
        wall = local.replace(tzinfo=None, fold=0)
        start = wall
        if self.hour_wildcard and local.fold == 0 and tz is not UTC:
            folded = wall.replace(tzinfo=tz, fold=1)
            offset0, offset1 = local.utcoffset(), folded.utcoffset()
            if offset0 is not None and offset1 is not None and offset0 > offset1:
                # in the first pass of a repeated hour: the second pass starts earlier on the wall
                start = wall - (offset0 - offset1)
        if start is wall:
            # the wall time of ``after`` itself cannot fire strictly after it
            start = wall + timedelta(microseconds=1)
            if self._fast and tz is UTC:
                found = self._next_naive(start)
                return None if found is None else found.replace(tzinfo=UTC)
        else:
            start = start.replace(second=0, microsecond=0)
        best: datetime | None = None
        for candidate in self._naive_candidates(start):
            instants = self._instants(candidate)
            for instant in instants:
                if instant > after and (best is None or instant < best):
                    best = instant
            # past the wall time of ``after`` and this candidate's earliest instant is later
            # still: every further candidate fires later than what we have
            if best is not None and candidate >= wall and instants and instants[0] > after:
                return best
        return best


def _transition(tz: tzinfo, low: datetime, high: datetime) -> datetime:
    """The instant in ``[low, high]`` (UTC) where the offset of ``tz`` changes, to the second."""
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high
