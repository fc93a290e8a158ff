"""Seed 002's scheduler and integration examples run against ``rfs``."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from rfs.events import Event, InMemoryBroker, InMemoryConsumer, InMemoryPublisher
from rfs.scheduler import FakeClock, Scheduler, create_cron_trigger

ROOT = Path(__file__).resolve().parents[2]


def test_integration_example_runs_unchanged() -> None:
    """The seed's ETL wiring runs: the extract task's event makes the trigger start transform."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("seed_example.py"))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "trigger daily_extract cron True" in lines
    assert "trigger auto_transform event False" in lines
    assert "run True" in lines
    assert "transform output [2, 4, 6, 8, 10]" in lines
    assert "transform started StartTransformEvent {'rows': [1, 2, 3, 4, 5]}" in lines


class DailyReportEvent(Event):
    pass


async def test_scheduler_usage_example() -> None:
    """The seed's 'Scheduler 사용하기' snippet, on a fake clock: one report per day at 09:00."""
    broker = InMemoryBroker()
    publisher = InMemoryPublisher(broker)
    reports = InMemoryConsumer(broker).consume("reports.daily")
    clock = FakeClock()

    cron_trigger = create_cron_trigger(
        cron_expression="0 9 * * *",  # 매일 오전 9시
        event_factory=lambda: DailyReportEvent(topic="reports.daily"),
    )
    scheduler = Scheduler(publisher, clock=clock)
    await scheduler.register_trigger("daily_report", cron_trigger, "reports.daily")
    await scheduler.start()

    await clock.advance(timedelta(days=2))
    iterator = aiter(reports)
    first, second = await anext(iterator), await anext(iterator)
    assert isinstance(first, DailyReportEvent) and isinstance(second, DailyReportEvent)
    assert (second.occurred_at - first.occurred_at) >= timedelta(0)
    await scheduler.stop()
    await reports.close()
    await broker.close()
