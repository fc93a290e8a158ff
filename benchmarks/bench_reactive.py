"""MonoResult and FluxResult against plain asyncio code and RFS v4.

- A 10-step ``MonoResult`` await chain (a source and 9 ``bind_async_result`` steps over the
  same async function) against the same 10 awaits written by hand, timed with the chain
  built once and re-awaited, and built anew for every await.
- ``FluxResult.map_async(concurrency=100)`` over 10,000 items against ``asyncio.gather``
  with a ``Semaphore(100)``; the work function yields to the loop once per item.

RFS v4 (``rfs-framework``) shadows our package name, so it runs in a subprocess from
``.bench-peers/`` (installed there by ``bench_result``); everything else runs in this process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._harness import Row, per_call_ns_async, report
from benchmarks.bench_result import PEERS_DIR, v4_figures
from rfs.reactive import FluxResult, MonoResult
from rfs.result import Result, Success

ITEMS = 10_000
CONCURRENCY = 100


async def step(x: int) -> Result[int, str]:
    return Success(x + 1)


async def plain_chain() -> Result[int, str]:
    r = await step(0)
    for _ in range(9):
        if r.is_failure():
            return r
        r = await step(r.unwrap())
    return r


def build_chain() -> MonoResult[int, str]:
    mono = MonoResult.from_async_result(lambda: step(0))
    for _ in range(9):
        mono = mono.bind_async_result(step)
    return mono


async def work(x: int) -> int:
    await asyncio.sleep(0)
    return x * 2


async def gather_semaphore(values: list[int]) -> list[int]:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(value: int) -> int:
        async with semaphore:
            return await work(value)

    return await asyncio.gather(*(one(v) for v in values))


async def flux_map_async(values: list[int]) -> list[int]:
    flux = await FluxResult.from_values(values).map_async(work, concurrency=CONCURRENCY)
    return flux.success_values()


def best_ms(run: object, repeat: int = 5) -> float:
    """Best of ``repeat`` runs of ``await run(values)`` on one loop, in milliseconds."""
    values = list(range(ITEMS))

    async def measure() -> float:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            out = await run(values)  # type: ignore[operator]
            best = min(best, time.perf_counter() - start)
            assert out == [v * 2 for v in values]
        return best * 1e3

    return asyncio.run(measure())


V4_SCRIPT = """
import asyncio, contextlib, io, sys, time
with contextlib.redirect_stdout(io.StringIO()):
    from rfs.core.result import Success
    from rfs.reactive.mono_result import MonoResult
    from rfs.reactive.flux_result import FluxResult
sys.path.insert(0, {repo!r})
from benchmarks._harness import per_call_ns_async

async def step(x):
    return Success(x + 1)

def build():
    mono = MonoResult.from_async_result(lambda: step(0))
    for _ in range(9):
        mono = mono.bind_async_result(step)
    return mono

async def work(x):
    await asyncio.sleep(0)
    return Success(x * 2)

async def flux_run():
    values = list(range({items}))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        flux = await FluxResult.from_values(values).parallel_map_async(work, max_concurrency={conc})
        best = min(best, time.perf_counter() - start)
        assert flux.count_success() == len(values)
    return best * 1e3

built = build()
print(per_call_ns_async(lambda: built.to_result()), per_call_ns_async(lambda: build().to_result()),
      asyncio.run(flux_run()))
"""


def v4_reactive_figures() -> tuple[float | None, float | None, float | None]:
    """Time rfs-framework 4.6's MonoResult and FluxResult in a subprocess."""
    if not (PEERS_DIR / "rfs").exists() and v4_figures()[0] is None:
        return None, None, None
    repo = str(Path(__file__).resolve().parents[1])
    script = V4_SCRIPT.format(repo=repo, items=ITEMS, conc=CONCURRENCY)
    env = {**os.environ, "PYTHONPATH": str(PEERS_DIR)}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd="/"
    )
    if run.returncode != 0:
        print("rfs-framework reactive benchmark failed:", run.stderr[-500:])
        return None, None, None
    mono_built, mono_build, flux = (float(x) for x in run.stdout.split()[-3:])
    return mono_built, mono_build, flux


def main() -> None:
    built = build_chain()
    assert asyncio.run(built.to_result()) == asyncio.run(plain_chain()) == Success(10)
    # Interleaved rounds, best of each: on a shared machine load drifts between cases.
    ours_built = ours_build = plain = float("inf")
    for _ in range(3):
        plain = min(plain, per_call_ns_async(plain_chain))
        ours_built = min(ours_built, per_call_ns_async(lambda: built))
        ours_build = min(ours_build, per_call_ns_async(build_chain))
    flux_ours = flux_gather = float("inf")
    for _ in range(2):
        flux_gather = min(flux_gather, best_ms(gather_semaphore, repeat=3))
        flux_ours = min(flux_ours, best_ms(flux_map_async, repeat=3))
    v4_built, v4_build, v4_flux = v4_reactive_figures()
    rows = [
        Row(
            "Mono 10-step await chain, built once",
            ours_built,
            {"plain awaits": plain, "rfs v4": v4_built},
        ),
        Row(
            "Mono 10-step chain, built per await",
            ours_build,
            {"plain awaits": plain, "rfs v4": v4_build},
        ),
        Row(
            f"Flux map_async(concurrency={CONCURRENCY}), {ITEMS:,} items",
            flux_ours,
            {"gather+Semaphore": flux_gather, "rfs v4": v4_flux},
            unit="ms",
        ),
    ]
    report(
        "Reactive",
        rows,
        note="peer/rfs > 1 means rfs is faster; plain awaits and gather are the practical limit",
    )


if __name__ == "__main__":
    main()
