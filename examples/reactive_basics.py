"""MonoResult and FluxResult: a flaky lookup with retry and timeout, then a bounded batch."""

from __future__ import annotations

import asyncio

from rfs.reactive import FluxResult, MonoResult
from rfs.result import Failure, Result, Success

attempts = {"n": 0}


async def flaky_lookup(sku: str) -> Result[float, str]:
    """Fails twice with a transient error, then answers."""
    attempts["n"] += 1
    await asyncio.sleep(0.001)
    if attempts["n"] < 3:
        return Failure("503 service unavailable")
    return Success({"apple": 0.5, "pear": 0.75}.get(sku, 1.0))


async def slow_lookup(sku: str) -> Result[float, str]:
    await asyncio.sleep(10)
    return Success(0.0)


async def price_with_tax(sku: str) -> float:
    await asyncio.sleep(0.001)
    return {"apple": 0.5, "pear": 0.75}.get(sku, 1.0) * 1.2


async def main() -> None:
    price = (
        MonoResult.from_async_result(lambda: flaky_lookup("pear"))
        .retry(3, backoff=0.01)
        .timeout(1.0)
        .map(lambda p: round(p * 1.2, 2))
    )
    print("price after retries:", await price, f"({attempts['n']} attempts)")

    late = await MonoResult.from_async_result(lambda: slow_lookup("fig")).timeout(0.05)
    print("slow lookup:", late)

    skus = FluxResult.from_iterable(["apple", "pear", Failure("bad sku: ''"), "fig"] * 25)
    priced = (await skus.map_async(price_with_tax, concurrency=10)).map(lambda p: round(p, 2))
    print(
        f"batch of {priced.count_total()}: {priced.count_success()} priced, "
        f"{priced.count_failures()} refused, first four {priced.to_list()[:4]}"
    )


if __name__ == "__main__":
    asyncio.run(main())
