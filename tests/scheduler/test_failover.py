"""Three scheduler processes on one lock: the leader is SIGKILLed, every tick fires once.

Each fire carries its fire id as the event id (an idempotency key derived from the trigger
name and the scheduled time). At a 1 s interval the kill lands between fires and every tick
is published exactly once; at 0.2 s the kill may land between a publish and the write that
records it, and then only that tick is published again, with the same id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from rfs.scheduler.targets import fire_id

WORKER = Path(__file__).with_name("failover_worker.py")
ROOT = Path(__file__).resolve().parents[2]
RUN_BEFORE_KILL = 6.0  # seconds of firing before the leader is killed
RUN_AFTER_KILL = 7.0  # seconds after the kill (the lease is 1.5 s)


def start_workers(args: list[str], count: int = 3) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(count)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
    return procs


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def sleep_to_half_second() -> None:
    """Sleep to the middle of a second, away from the fires on whole seconds."""
    time.sleep((1.5 - time.time() % 1.0) % 1.0)


Fire = tuple[str, int, str]  # scheduled time, pid, event id


def run_failover(read: Callable[[], list[Fire]], args: list[str], interval: float) -> None:
    procs = start_workers([*args[:3], str(interval), *args[3:]])
    try:
        wait_for(lambda: len(read()) > 0, timeout=15)
        time.sleep(RUN_BEFORE_KILL)
        sleep_to_half_second()
        fires = read()
        leader_pid = fires[-1][1]
        victim = next(p for p in procs if p.pid == leader_pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(5)
        killed_at = len(read())  # rows after this one were all written after the kill
        time.sleep(RUN_AFTER_KILL)
        sleep_to_half_second()
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(15)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    fires = read()
    for tick, _, event_id in fires:  # every event id is the fire's idempotency key
        assert event_id == fire_id("tick", datetime.fromisoformat(tick))
    first_by_id: dict[str, Fire] = {}
    for fire in fires:
        first_by_id.setdefault(fire[2], fire)
    repeats = [fire for fire in fires if first_by_id[fire[2]] is not fire]
    if interval >= 1.0:
        assert not repeats, f"ticks fired more than once: {repeats}"
    else:  # only ticks the victim published right before the kill, re-published by another
        assert len(repeats) <= 3, repeats
        for _, pid, event_id in repeats:
            assert first_by_id[event_id][1] == leader_pid and pid != leader_pid
    ticks = [datetime.fromisoformat(tick) for tick, _, _ in first_by_id.values()]
    assert len(set(ticks)) == len(ticks)
    first, last = min(ticks), max(ticks)
    step = timedelta(seconds=interval)
    expected = {first + i * step for i in range(round((last - first) / step) + 1)}
    assert set(ticks) == expected, f"missing ticks: {sorted(expected - set(ticks))}"
    after_kill = fires[killed_at:]
    assert after_kill, "nobody fired after the leader was killed"
    assert all(pid != leader_pid for _, pid, _ in after_kill)
    assert len(ticks) >= (RUN_BEFORE_KILL + RUN_AFTER_KILL - 1) / interval


@pytest.mark.slow
@pytest.mark.service("redis")
def test_redis_leader_killed_every_tick_fires_exactly_once(redis_url: str, tmp_path: Path) -> None:
    """SIGKILL the Redis-lock leader mid-run: another takes over, no tick lost or doubled."""
    import redis

    key = f"test:sched:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url)

    def read() -> list[Fire]:
        raw = client.lrange(f"{key}:fires", 0, -1)
        return [(t, int(p), i) for t, p, i in (item.decode().split("|") for item in raw)]

    try:
        run_failover(read, ["redis", redis_url, key, str(tmp_path / "state.db")], 1.0)
    finally:
        client.delete(key, f"{key}:fence", f"{key}:fires")
        client.close()


@pytest.mark.slow
@pytest.mark.service("postgres")
@pytest.mark.parametrize("interval", [1.0, 0.2])
def test_postgres_leader_killed_every_tick_fires_exactly_once(
    postgres_url: str, interval: float
) -> None:
    """SIGKILL the advisory-lock leader mid-run: another takes over, each tick id once."""
    import sqlalchemy as sa

    key = f"sched_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(postgres_url.replace("+asyncpg", "+psycopg"))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {key} (id SERIAL PRIMARY KEY, tick TEXT, pid INT, event_id TEXT)"
            )
        )

    def read() -> list[Fire]:
        with engine.connect() as conn:
            query = sa.text(f"SELECT tick, pid, event_id FROM {key} ORDER BY id")
            rows = conn.execute(query).all()
        return [(str(t), int(p), str(i)) for t, p, i in rows]

    try:
        run_failover(read, ["postgres", postgres_url, key], interval)
    finally:
        with engine.begin() as conn:
            for table in (key, f"{key}_state", f"{key}_fence"):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()
