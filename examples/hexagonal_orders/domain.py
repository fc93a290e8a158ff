"""The order entity."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Order:
    """A paid order; money in integer cents."""

    id: str
    customer: str
    amount_cents: int
    payment_ref: str
