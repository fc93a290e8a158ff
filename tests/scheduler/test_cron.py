"""Crontab parsing, next-fire search and daylight-saving behaviour of ``CronExpression``."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.scheduler import CronError, CronExpression, create_cron_trigger

NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")


def fires(expression: str, tz: str, start: datetime, end: datetime) -> list[datetime]:
    cron = CronExpression(expression, tz)
    out: list[datetime] = []
    current = start
    while True:
        nxt = cron.next_after(current)
        if nxt is None or nxt > end:
            return out
        out.append(nxt)
        current = nxt


def local(times: list[datetime], tz: ZoneInfo) -> list[str]:
    return [t.astimezone(tz).strftime("%m-%d %H:%M%z") for t in times]


def new_york_daily(expression: str, start: datetime) -> list[str]:
    """Local times of ``expression``'s New York fires in the two days after ``start``."""
    got = fires(expression, "America/New_York", start, start + timedelta(days=2))
    return local(got, NEW_YORK)


def new_york_hourly(day: datetime) -> list[datetime]:
    """Every ``0 * * * *`` fire in New York during the local calendar day ``day``."""
    end = day + timedelta(days=1) - timedelta(seconds=1)
    return fires("0 * * * *", "America/New_York", day - timedelta(seconds=1), end)


def test_daily_job_in_the_skipped_hour_fires_once_at_the_end_of_the_gap() -> None:
    """On the spring-forward day a 02:30 daily job runs once, at 03:00 local, not skipped."""
    start = datetime(2026, 3, 7, 12, tzinfo=NEW_YORK)
    assert new_york_daily("30 2 * * *", start) == ["03-08 03:00-0400", "03-09 02:30-0400"]


def test_hourly_job_fires_23_times_on_the_spring_forward_day() -> None:
    """With a wildcard hour, the skipped wall hour simply does not exist: 23 fires."""
    got = new_york_hourly(datetime(2026, 3, 8, tzinfo=NEW_YORK))
    assert len(got) == 23
    assert len(set(got)) == 23
    assert "03-08 02:00" not in " ".join(local(got, NEW_YORK))


def test_daily_job_in_the_repeated_hour_fires_once_on_the_first_pass() -> None:
    """On the fall-back day a 01:30 daily job runs once (EDT), not twice."""
    start = datetime(2026, 10, 31, 12, tzinfo=NEW_YORK)
    assert new_york_daily("30 1 * * *", start) == ["11-01 01:30-0400", "11-02 01:30-0500"]


def test_hourly_job_fires_25_times_on_the_fall_back_day() -> None:
    """With a wildcard hour the repeated hour fires on both passes: 25 fires, in order."""
    got = new_york_hourly(datetime(2026, 11, 1, tzinfo=NEW_YORK))
    assert len(got) == 25
    assert got == sorted(got)
    assert local(got, NEW_YORK)[1:3] == ["11-01 01:00-0400", "11-01 01:00-0500"]


def test_quarter_hour_job_is_evenly_spaced_across_fall_back() -> None:
    """*/15 keeps firing every 15 real minutes through the repeated hour."""
    start = datetime(2026, 10, 25, tzinfo=PARIS)
    got = fires("*/15 * * * *", "Europe/Paris", start, start + timedelta(hours=4))
    gaps = {b - a for a, b in itertools.pairwise(got)}
    assert gaps == {timedelta(minutes=15)}


def test_next_fire_from_inside_the_first_pass_finds_the_second_pass() -> None:
    """From 01:50 EDT the next hourly fire is 01:00 EST (10 minutes later), not 02:00."""
    after = datetime(2026, 11, 1, 1, 50, tzinfo=NEW_YORK)  # fold=0: EDT
    nxt = CronExpression("0 * * * *", "America/New_York").next_after(after)
    assert nxt is not None and nxt - after == timedelta(minutes=10)


def test_time_zone_is_honoured() -> None:
    """09:00 in Paris in winter is 08:00 UTC."""
    cron = CronExpression("0 9 * * *", "Europe/Paris")
    assert cron.next_after(datetime(2026, 1, 5, tzinfo=UTC)) == datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "field", "value"),
    [
        ("61 * * * *", "minute", "61"),
        ("* 24 * * *", "hour", "24"),
        ("* * 0 * *", "day-of-month", "0"),
        ("* * * 13 *", "month", "13"),
        ("* * * * 9", "day-of-week", "9"),
        ("*/x * * * *", "minute", "*/x"),
        ("0 9 * foo *", "month", "foo"),
    ],
)
def test_malformed_expression_names_field_and_value(
    expression: str, field: str, value: str
) -> None:
    """A bad field raises CronError naming the field and the offending value."""
    with pytest.raises(CronError) as info:
        create_cron_trigger(cron_expression=expression)
    assert field in str(info.value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("expression", ["", "* * *", "* * * * * *", "0 0 30 2 *"])
def test_wrong_shape_or_impossible_date_is_refused(expression: str) -> None:
    """Wrong field counts, seconds fields and dates that never occur raise CronError."""
    with pytest.raises(CronError):
        CronExpression(expression)


def test_unknown_time_zone_is_refused() -> None:
    """An unknown IANA name raises ValueError naming it."""
    with pytest.raises(ValueError, match="Mars/Olympus"):
        create_cron_trigger(cron_expression="0 9 * * *", timezone="Mars/Olympus")


def test_naive_datetime_is_refused() -> None:
    """next_after needs an aware datetime."""
    with pytest.raises(ValueError, match="aware"):
        CronExpression("* * * * *").next_after(datetime(2026, 1, 1))


def test_special_forms() -> None:
    """L (last day), #n (nth weekday) and @daily work."""
    t = datetime(2026, 2, 3, tzinfo=UTC)
    assert CronExpression("0 0 L * *").next_after(t) == datetime(2026, 2, 28, tzinfo=UTC)
    assert CronExpression("0 0 * * 5#2").next_after(t) == datetime(2026, 2, 13, tzinfo=UTC)
    assert CronExpression("@daily").next_after(t) == datetime(2026, 2, 4, tzinfo=UTC)


EXPRESSIONS = [
    "* * * * *",
    "*/7 * * * *",
    "0 0 1,15 * 1",
    "5 4 * * sun",
    "0 22 * * 1-5",
    "23 0-20/2 * * *",
    "0 0 L * *",
    "15 10 * jan,jul *",
    "0 12 29 2 *",
    "30 2 * * *",
]


@settings(max_examples=300, deadline=None)
@given(
    expression=st.sampled_from(EXPRESSIONS),
    offset=st.integers(min_value=0, max_value=4 * 365 * 86400),
)
def test_next_fire_agrees_with_croniter_in_utc(expression: str, offset: int) -> None:
    """In UTC (no DST) our fast search returns exactly croniter's next time."""
    after = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=offset)
    expected = croniter(expression, after.replace(tzinfo=None)).get_next(datetime)
    assert CronExpression(expression).next_after(after) == expected.replace(tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(
    expression=st.sampled_from(EXPRESSIONS),
    tz=st.sampled_from(["America/New_York", "Europe/Paris", "Australia/Lord_Howe"]),
    offset=st.integers(min_value=0, max_value=2 * 365 * 86400),
)
def test_fire_times_strictly_increase_in_any_zone(expression: str, tz: str, offset: int) -> None:
    """Successive fire times are strictly increasing and each is a matching wall time."""
    cron = CronExpression(expression, tz)
    current = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=offset)
    for _ in range(5):
        nxt = cron.next_after(current)
        assert nxt is not None and nxt > current
        current = nxt


def reference_fires(expression: str, tz: str, start: datetime, end: datetime) -> list[datetime]:
    """Brute force, minute by minute in UTC, applying the documented DST rules directly."""
    zone = ZoneInfo(tz)
    hour_wildcard = expression.split()[1].startswith("*")  # a literal '*', as Vixie cron
    out: list[datetime] = []
    instant = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    previous_wall = (instant - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
    while instant <= end:
        local = instant.astimezone(zone)
        wall = local.replace(tzinfo=None)
        fire = croniter.match(expression, wall) and (hour_wildcard or local.fold == 0)
        skipped = wall - previous_wall - timedelta(minutes=1)
        if not fire and not hour_wildcard and skipped > timedelta(0):
            # wall times jumped over by spring-forward fire once, when the gap ends
            probe = previous_wall + timedelta(minutes=1)
            while probe < wall and not fire:
                fire = croniter.match(expression, probe)
                probe += timedelta(minutes=1)
        if fire:
            out.append(instant)
        previous_wall = wall
        instant += timedelta(minutes=1)
    return out


TRANSITIONS = {
    "America/New_York": [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)],
    "Europe/Paris": [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)],
    "Australia/Lord_Howe": [
        datetime(2026, 4, 4, 15, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
    ],
}
DST_EXPRESSIONS = [
    "30 2 * * *",
    "0 1 * * *",
    "*/20 * * * *",
    "15 * * * *",
    "0 0-3 * * *",
    "45 1,2 * * *",
    "*/30 2 * * *",
    "10 3 * * *",
    "0 0-23 * * *",
    "30 */1 * * *",
]


@pytest.mark.parametrize("expression", DST_EXPRESSIONS)
@pytest.mark.parametrize(
    "centre",
    [pytest.param(t, id=f"{tz}-{t:%m-%d}") for tz, ts in TRANSITIONS.items() for t in ts],
)
def test_fire_times_match_brute_force_across_dst(expression: str, centre: datetime) -> None:
    """Around each DST change our fire times equal a minute-by-minute brute force of the rules."""
    tz = next(zone for zone, ts in TRANSITIONS.items() if centre in ts)
    start, end = centre - timedelta(hours=2), centre + timedelta(hours=2)
    assert fires(expression, tz, start, end) == reference_fires(expression, tz, start, end)
