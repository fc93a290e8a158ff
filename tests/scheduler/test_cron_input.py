"""Bad and unusual crontab input: every failure is a CronError, ``R`` agrees across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfs.scheduler import CronError, CronExpression, create_cron_trigger

ROOT = Path(__file__).resolve().parents[2]
AFTER = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("*,5 * * * *", "cannot be combined"),
        ("0 0 * * *,sat#3", "cannot be combined"),
        ("5-1 * * * *", "reversed range"),
        ("0 0 * dec-jan *", "reversed range"),
        ("*/99999999999999999999 * * * *", "out of range"),
        ("*/61 * * * *", "between 1 and 60"),
        ("0 */0 * * *", "between 1 and 24"),
        ("1,,2 * * * *", "empty list item"),
        ("@reboot", "not supported"),
        ("@fortnightly", "unknown alias"),
    ],
)
def test_malformed_input_is_a_cron_error_with_the_reason(expression: str, reason: str) -> None:
    """Lists with '*', reversed ranges, absurd steps and @reboot raise CronError saying why."""
    with pytest.raises(CronError, match=reason):
        CronExpression(expression)


def test_a_long_expression_is_cut_in_the_message() -> None:
    """A 10,000-character expression is not echoed whole: the message stays short."""
    with pytest.raises(CronError) as info:
        CronExpression("1" * 10_000 + " * * * *")
    assert len(str(info.value)) < 400 and "10008 characters" in str(info.value)


def test_equal_range_is_one_value() -> None:
    """'5-5' means minute 5 (cron), not the whole field."""
    assert CronExpression("5-5 * * * *").next_after(AFTER) == AFTER + timedelta(minutes=5)


def fire_times_in_subprocess(expression: str, hash_key: str | None, seed: str) -> str:
    code = (
        "import random, sys\n"
        "from datetime import UTC, datetime\n"
        "from rfs.scheduler import create_cron_trigger\n"
        "random.seed(int(sys.argv[3]))\n"
        "key = sys.argv[2] or None\n"
        "t = create_cron_trigger(sys.argv[1], hash_key=key)\n"
        "print(t.next_fire_time(datetime(2026, 1, 1, tzinfo=UTC)).isoformat())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", code, expression, hash_key or "", seed],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return out.stdout.strip()


def test_random_fields_agree_across_processes() -> None:
    """'R' picks the same minute in every process (hash seed and random state differ)."""
    runs = {fire_times_in_subprocess("R R * * *", None, seed) for seed in ("1", "2", "3")}
    assert len(runs) == 1
    here = create_cron_trigger("R R * * *").next_fire_time(AFTER)
    assert here is not None and runs == {here.isoformat()}


def test_hash_key_spreads_triggers_with_one_expression() -> None:
    """Different hash keys give different (but each stable) 'R' minutes for most keys."""
    minutes = {
        create_cron_trigger("R * * * *", hash_key=f"job-{i}").next_fire_time(AFTER)
        for i in range(20)
    }
    assert len(minutes) > 5
    again = create_cron_trigger("R * * * *", hash_key="job-3").next_fire_time(AFTER)
    assert again == create_cron_trigger("R * * * *", hash_key="job-3").next_fire_time(AFTER)


def fall_back_fires(expression: str) -> int:
    """How often ``expression`` fires in New York on the fall-back day (25 hours)."""
    zone = ZoneInfo("America/New_York")
    cron = CronExpression(expression, zone)
    current = datetime(2026, 11, 1, tzinfo=zone) - timedelta(seconds=1)
    end = datetime(2026, 11, 2, tzinfo=zone) - timedelta(seconds=1)
    count = 0
    while (nxt := cron.next_after(current)) is not None and nxt <= end:
        count, current = count + 1, nxt
    return count


def test_repeated_hour_rule_needs_a_literal_star() -> None:
    """Only an hour field written with '*' fires the repeated hour twice; '0-23' is fixed."""
    assert fall_back_fires("0 * * * *") == 25
    assert fall_back_fires("0 */1 * * *") == 25
    assert fall_back_fires("0 0-23 * * *") == 24


TOKENS = st.sampled_from(
    ["*", "?", "L", "W", "R", "H", "#", "/", "-", ",", "(", ")", "mon", "jan", "sat", "l", "5"]
)
FIELD = st.lists(
    st.one_of(TOKENS, st.integers(min_value=-3, max_value=100).map(str)), min_size=1, max_size=5
).map("".join)
CRONLIKE = st.lists(FIELD, min_size=1, max_size=7).map(" ".join)


def check_any(expression: str) -> None:
    try:
        cron = CronExpression(expression)
    except CronError as error:
        assert len(str(error)) < 600
        return
    fire = cron.next_after(AFTER)
    assert fire is None or fire > AFTER


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expression=st.one_of(st.text(max_size=60), CRONLIKE, st.sampled_from(["@reboot", "@"])))
def test_any_string_is_a_cron_error_or_a_working_expression(expression: str) -> None:
    """Arbitrary text and cron-like token soup give CronError or an expression that fires."""
    check_any(expression)
