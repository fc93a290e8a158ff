"""Run the ETL example as ``rfs run examples/etl/pipeline.py`` does: plan, progress, summary."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from rfs.cli.pipeline import run_file


def main() -> int:
    code = run_file(str(Path(__file__).with_name("pipeline.py")))
    from examples.etl.pipeline import WAREHOUSE

    with sqlite3.connect(WAREHOUSE) as db:
        rows = db.execute(
            "SELECT country, ROUND(SUM(revenue_eur), 2), SUM(orders) FROM revenue_by_country_month "
            "GROUP BY country ORDER BY 2 DESC"
        ).fetchall()
    print(f"warehouse {WAREHOUSE}: revenue by country (EUR)")
    for country, revenue, orders in rows:
        print(f"  {country}  {revenue:>12,.2f}  ({orders} orders)")
    return code


if __name__ == "__main__":
    exit_code = main()
    if exit_code:
        sys.exit(exit_code)
