"""Cold start: what importing rfs costs, and a small FastAPI + rfs app against the same app
without rfs, from process start to the first response.

Import rows time the statement inside a fresh process after its preamble, best of RUNS
processes (the least disturbed run, on a shared machine); the first row times ``python -c``
against a bare ``python -c pass`` from outside. The app rows use ``measure_cold_start`` (``rfs coldstart``): each
app serves one ``GET /`` that runs a SQLite query in a transaction.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._harness import Row, available, report
from rfs.result import Failure
from rfs.serverless import measure_cold_start

RUNS = 15
# Deployments ship (or write once) .pyc files: let the children write and use them.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

RFS_APP = """
from fastapi import FastAPI
from sqlalchemy import text

from rfs.di import Component, Registry
from rfs.di.fastapi import Provide, install
from rfs.tx import Transactional, TransactionManager, current_session

registry = Registry()
db = TransactionManager("sqlite+aiosqlite:///{db}")


@Component(registry=registry)
class Greeter:
    @Transactional(manager=db)
    async def greet(self) -> dict:
        value = (await current_session().execute(text("SELECT 1"))).scalar_one()
        return {{"hello": value}}


app = FastAPI()
install(app, registry)


@app.get("/")
async def root(greeter: Greeter = Provide(Greeter)) -> dict:
    return await greeter.greet()
"""

PLAIN_APP = """
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

engine = create_async_engine("sqlite+aiosqlite:///{db}")
sessions = async_sessionmaker(engine, expire_on_commit=False)


class Greeter:
    async def greet(self) -> dict:
        async with sessions() as session, session.begin():
            value = (await session.execute(text("SELECT 1"))).scalar_one()
        return {{"hello": value}}


greeter = Greeter()
app = FastAPI()


@app.get("/")
async def root() -> dict:
    return await greeter.greet()
"""


def import_ms(preamble: str, statement: str) -> float:
    """Best-of-RUNS CPU ms that ``statement`` takes in a fresh process once ``preamble`` ran
    (timed inside the process, as CPU time: stable on a loaded machine, and lazy imports
    through importlib, which -X importtime misses, are included)."""
    code = (
        f"{preamble}\nimport time\nstart = time.process_time()\n{statement}\n"
        "print(time.process_time() - start)"
    )
    times = []
    for _ in range(RUNS):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout) * 1000)
    return min(times)


def wall_ms(code: str) -> float:
    times = []
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True)
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=ENV, check=True)
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def app_ms(source: str, runs: int) -> tuple[float, float] | None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bench_app.py").write_text(source.format(db=Path(tmp) / "db.sqlite"))
        measure_cold_start("bench_app:app", runs=1, cwd=tmp, env=ENV, trace_imports=False)
        outcome = measure_cold_start(
            "bench_app:app", runs=runs, cwd=tmp, env=ENV, baseline=False, trace_imports=False
        )
    if isinstance(outcome, Failure):
        print(f"app cold start failed: {outcome.error}", flush=True)
        return None
    assert outcome.value.ready == "HTTP 200 /", outcome.value.ready
    return outcome.value.median * 1000, outcome.value.p90 * 1000


def main() -> None:
    bare = wall_ms("pass")
    rows = [
        Row(
            "python -c 'import rfs' minus bare interpreter", wall_ms("import rfs") - bare, {}, "ms"
        ),
        Row("import rfs (timed in process)", import_ms("", "import rfs"), {}, "ms"),
        Row(
            "+ rfs.result (asyncio loaded; shared by every subsystem)",
            import_ms("import asyncio, rfs", "import rfs.result"),
            {},
            "ms",
        ),
        Row(
            "+ rfs.async_tasks (asyncio, rfs.result loaded)",
            import_ms("import asyncio, rfs.result", "from rfs.async_tasks import AsyncTaskManager"),
            {
                "aiojobs": import_ms("import asyncio, rfs.result", "import aiojobs")
                if available("aiojobs")
                else None
            },
            "ms",
        ),
        Row(
            "+ rfs.async_tasks (asyncio loaded)",
            import_ms("import asyncio, rfs", "from rfs.async_tasks import AsyncTaskManager"),
            {
                "aiojobs": import_ms("import asyncio", "import aiojobs")
                if available("aiojobs")
                else None
            },
            "ms",
        ),
        Row(
            "+ rfs.serverless (asyncio, rfs.result loaded)",
            import_ms(
                "import asyncio, rfs.result", "from rfs.serverless import ColdStartOptimizer"
            ),
            {},
            "ms",
        ),
        Row(
            "+ rfs.async_tasks (nothing loaded)",
            import_ms("import rfs", "from rfs.async_tasks import AsyncTaskManager"),
            {"asyncio alone": import_ms("", "import asyncio")},
            "ms",
        ),
    ]
    if available("fastapi") and available("aiosqlite"):
        ours, plain = app_ms(RFS_APP, RUNS // 3), app_ms(PLAIN_APP, RUNS // 3)
        if ours and plain:
            rows.append(
                Row(
                    "FastAPI app: start → first response, median",
                    ours[0],
                    {"without rfs": plain[0]},
                    "ms",
                )
            )
            rows.append(
                Row(
                    "FastAPI app: start → first response, p90",
                    ours[1],
                    {"without rfs": plain[1]},
                    "ms",
                )
            )
    report(
        "Cold start",
        rows,
        note=f"imports: CPU time, best of {RUNS} fresh processes; apps: median/p90 of {RUNS // 3}; targets: import rfs < 20 ms, "
        "async_tasks / serverless add < 5 ms",
    )


if __name__ == "__main__":
    main()
