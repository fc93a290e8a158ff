"""Results in the seeds' style: map, bind, match and the first-failure-wins helpers."""

from __future__ import annotations

from rfs import Failure, Result, Success, safe, sequence


def parse_quantity(raw: str) -> Result[int, str]:
    if not raw.strip().isdigit():
        return Failure(f"not a quantity: {raw!r}")
    return Success(int(raw))


def check_stock(quantity: int) -> Result[int, str]:
    return Success(quantity) if quantity <= 10 else Failure(f"only 10 in stock, asked {quantity}")


@safe
def unit_price(sku: str) -> float:
    return {"apple": 0.5, "pear": 0.75}[sku]


def main() -> None:
    for raw in ["3", "12", "three"]:
        total = parse_quantity(raw).bind(check_stock).map(lambda q: q * 0.5)
        match total:
            case Success(value):
                print(f"{raw!r:>8} -> total {value:.2f}")
            case Failure(error):
                print(f"{raw!r:>8} -> refused: {error}")
    print("prices:", sequence([unit_price("apple"), unit_price("pear")]))
    print("unknown sku:", unit_price("kiwi").map_error(lambda e: f"KeyError {e}"))


if __name__ == "__main__":
    main()
