"""The ETL example (``make run``): runs through the CLI, twice, with the same result."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "examples" / "etl" / "pipeline.py"


def _run(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200")
    env.pop("RFS_RUN_STORE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from rfs.cli.main import main; main()", "run", str(PIPELINE)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_etl_pipeline_runs_twice(tmp_path: Path) -> None:
    """Plan, retry, fail-safe DQ failure, skip and summary appear; exit 0 both times, and the
    warehouse holds the same rows after the second run."""
    first = _run(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "7 tasks in 5 levels" in out
    assert "↻ fetch_fx_rates attempt 1 failed" in out
    assert "validate" in out and "DataQualityError" in out and "fail_safe" in out
    assert "5 succeeded, 1 failed, 1 skipped" in out
    db = tmp_path / ".rfs" / "etl" / "warehouse.db"
    with sqlite3.connect(db) as conn:
        rows1 = conn.execute("SELECT * FROM revenue_by_country_month ORDER BY 1, 2").fetchall()
    second = _run(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "5 succeeded, 1 failed, 1 skipped" in second.stdout
    with sqlite3.connect(db) as conn:
        rows2 = conn.execute("SELECT * FROM revenue_by_country_month ORDER BY 1, 2").fetchall()
    assert rows1 == rows2 and len(rows1) == 36  # 6 countries x 6 months
    assert sum(r[2] for r in rows1) == 2997  # 3000 orders minus the 3 bad rows


def test_generator_is_deterministic() -> None:
    """The committed CSV is what the generator script writes."""
    import csv
    import io
    import runpy

    script = runpy.run_path(str(ROOT / "examples" / "etl" / "generate_orders.py"))
    rows = script["generate"]()
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=script["COLUMNS"])
    writer.writeheader()
    writer.writerows(rows)
    assert buffer.getvalue().encode() == script["CSV_PATH"].read_bytes()
    lines = script["CSV_PATH"].read_text().splitlines()
    assert len(lines) == len(rows) + 1 == 3001
    assert lines[1].split(",")[0] == rows[0]["order_id"]
