"""An ETL pipeline over ``data/orders.csv``: extract → validate → transform → aggregate → load.

Run it with ``rfs run examples/etl/pipeline.py`` (or ``make run``). It shows:

* ``validate``: a ``fail_safe`` data-quality check. The shipped CSV has a few bad rows, so it
  fails, its data dependent ``quality_report`` is skipped, and the rest of the run goes on.
* ``fetch_fx_rates``: a flaky exchange-rate "service" that fails on the first attempt of every
  run and succeeds on the retry (``max_retries=2``).
* ``transform``: streams cleaned orders in chunks (``stream_output``); ``aggregate`` reads the
  chunks one at a time.
* ``load``: writes revenue per country and month into SQLite (``.rfs/etl/warehouse.db``),
  replacing the previous run's rows, so the pipeline can run any number of times.
"""

from __future__ import annotations

import csv
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

from rfs.pipeline import current_task, task

CSV_PATH = Path(__file__).parent / "data" / "orders.csv"
WAREHOUSE = Path(".rfs") / "etl" / "warehouse.db"
CHUNK_ROWS = 500


class Order(TypedDict):
    order_id: str
    month: str
    country: str
    product: str
    quantity: int
    revenue_eur: float


class Revenue(TypedDict):
    country: str
    month: str
    orders: int
    revenue_eur: float


class DataQualityError(Exception):
    """The input breaks a data-quality rule."""


@task(tags=["etl"], description="Read the orders CSV.")
def extract() -> list[dict[str, str]]:
    with open(CSV_PATH, newline="") as file:
        return list(csv.DictReader(file))


@task(tags=["etl"], dependencies=["extract"], fail_safe=True)
def validate(extract: list[dict[str, str]]) -> dict[str, int]:
    """Data-quality gate: unique ids, positive quantities, known currencies."""
    ids = Counter(row["order_id"] for row in extract)
    problems = {
        "duplicate_ids": sum(n - 1 for n in ids.values() if n > 1),
        "bad_quantity": sum(1 for row in extract if int(row["quantity"]) <= 0),
        "unknown_currency": sum(1 for row in extract if row["currency"] not in _KNOWN),
    }
    if any(problems.values()):
        found = ", ".join(f"{k}={v}" for k, v in problems.items() if v)
        raise DataQualityError(f"{found} in {len(extract)} rows")
    return {"rows": len(extract)}


@task(tags=["etl"], dependencies=["validate"])
def quality_report(validate: dict[str, int]) -> str:
    """Only runs when the data is clean (it needs ``validate``'s output)."""
    return f"{validate['rows']} rows passed the quality gate"


_KNOWN = {"EUR", "USD", "GBP", "KRW", "JPY"}


@task(tags=["etl"], max_retries=2, retry_backoff=0.2)
def fetch_fx_rates() -> dict[str, float]:
    """Units per euro. The 'service' is down on the first attempt of each run."""
    if current_task().attempt == 1:
        raise ConnectionError("exchange-rate service unavailable (simulated, first attempt)")
    return {"EUR": 1.0, "USD": 1.08, "GBP": 0.85, "KRW": 1450.0, "JPY": 160.0}


@task(tags=["etl"], dependencies=["extract", "fetch_fx_rates", "validate"], stream_output=True)
def transform(
    extract: list[dict[str, str]], fetch_fx_rates: dict[str, float]
) -> Iterator[list[Order]]:
    """Clean rows and convert to euros, yielding chunks (runs even if ``validate`` failed)."""
    seen: set[str] = set()
    chunk: list[Order] = []
    for row in extract:
        quantity = int(row["quantity"])
        rate = fetch_fx_rates.get(row["currency"])
        if row["order_id"] in seen or quantity <= 0 or rate is None:
            continue  # drop what the quality gate flags
        seen.add(row["order_id"])
        chunk.append(
            Order(
                order_id=row["order_id"],
                month=row["ordered_at"][:7],
                country=row["country"],
                product=row["product"],
                quantity=quantity,
                revenue_eur=round(quantity * float(row["unit_price"]) / rate, 2),
            )
        )
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@task(tags=["etl"], dependencies=["transform"])
def aggregate(transform: Iterator[list[Order]]) -> list[Revenue]:
    """Revenue and order count per country and month, one chunk in memory at a time."""
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for chunk in transform:
        for order in chunk:
            cell = totals[(order["country"], order["month"])]
            cell[0] += 1
            cell[1] += order["revenue_eur"]
    return [
        Revenue(country=c, month=m, orders=int(n), revenue_eur=round(r, 2))
        for (c, m), (n, r) in sorted(totals.items())
    ]


@task(tags=["etl"], dependencies=["aggregate"])
def load(aggregate: list[Revenue]) -> int:
    """Replace the revenue table in the SQLite warehouse; return the rows written."""
    WAREHOUSE.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(WAREHOUSE) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS revenue_by_country_month "
            "(country TEXT, month TEXT, orders INTEGER, revenue_eur REAL, "
            "PRIMARY KEY (country, month))"
        )
        db.execute("DELETE FROM revenue_by_country_month")
        db.executemany(
            "INSERT INTO revenue_by_country_month VALUES (:country, :month, :orders, :revenue_eur)",
            aggregate,
        )
    return len(aggregate)
