"""Generate ``data/orders.csv``: a few thousand synthetic orders (run once; the CSV is committed).

The data is seeded, so running this again writes the same file. A handful of rows are broken on
purpose (a duplicated order id, a negative quantity, an unknown currency) so the pipeline's
data-quality check has something to report.

    python -m examples.etl.generate_orders
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

CSV_PATH = Path(__file__).parent / "data" / "orders.csv"
COLUMNS = ["order_id", "ordered_at", "customer_id", "country", "product", "quantity",
           "unit_price", "currency"]  # fmt: skip
PRODUCTS = {"keyboard": 49.0, "mouse": 19.5, "monitor": 189.0, "laptop": 999.0, "dock": 129.0,
            "headset": 79.0, "webcam": 59.0, "cable": 9.9}  # fmt: skip
COUNTRIES = {"DE": "EUR", "FR": "EUR", "KR": "KRW", "US": "USD", "GB": "GBP", "JP": "JPY"}
#: units of each currency per euro (the pipeline's exchange-rate task serves the same table)
PER_EUR = {"EUR": 1.0, "USD": 1.08, "GBP": 0.85, "KRW": 1450.0, "JPY": 160.0}


def generate(rows: int = 3000, seed: int = 42) -> list[dict[str, str]]:
    """The orders as CSV-ready dicts (deterministic for a given seed)."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    orders = []
    for i in range(rows):
        country = rng.choice(list(COUNTRIES))
        product = rng.choice(list(PRODUCTS))
        price = PRODUCTS[product] * rng.uniform(0.9, 1.1) * PER_EUR[COUNTRIES[country]]
        when = start + dt.timedelta(minutes=rng.randrange(0, 180 * 24 * 60))
        orders.append(
            {
                "order_id": f"O{100000 + i}",
                "ordered_at": when.isoformat(timespec="seconds"),
                "customer_id": f"C{rng.randrange(1, 800):04d}",
                "country": country,
                "product": product,
                "quantity": str(rng.choice([1, 1, 1, 2, 2, 3, 5])),
                "unit_price": f"{price:.2f}",
                "currency": COUNTRIES[country],
            }
        )
    # deliberate data-quality problems
    orders[17]["order_id"] = orders[16]["order_id"]
    orders[404]["quantity"] = "-2"
    orders[1999]["currency"] = "XXX"
    return orders


def main() -> None:
    CSV_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(CSV_PATH, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(generate())
    print(f"wrote {CSV_PATH}")


if __name__ == "__main__":
    main()
