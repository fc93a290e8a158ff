"""Pipelines: per-task overhead vs Prefect, Dagster and Hamilton; planner; registry; streaming RSS.

Peers run the same 1,000-task layered DAG of no-op tasks in the same process as ours. Run
``python -m benchmarks pipeline``. Dagster and Hamilton come with the ``bench`` extra. Prefect
3.8 installs but fails with the FastAPI release our ``web`` extra brings (``Body(min_items=)``),
so measure it in a separate environment::

    python3.11 -m venv .bench-peers/pipeline
    .bench-peers/pipeline/bin/pip install prefect dagster sf-hamilton "fastapi>=0.139,<0.140"
    PYTHONPATH=src:. .bench-peers/pipeline/bin/python -m benchmarks pipeline

The streaming case writes ``--fs-streaming-items`` (default 20,000) items through the
filesystem and ``--streaming-items`` (default 1,000,000) through an I/O manager that discards
them, measuring the driver's own memory; 1,000,000 items through the filesystem took 9 minutes
here (one file per item) and peaked at 27 MB.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from typing import Any

from benchmarks._harness import Row, available, report

LEVELS, WIDTH = 10, 100  # 1,000 tasks; each depends on two tasks of the previous level


def layered(levels: int = LEVELS, width: int = WIDTH) -> dict[str, list[str]]:
    """Task name -> upstream names for a layered DAG."""
    deps: dict[str, list[str]] = {}
    for lv in range(levels):
        for i in range(width):
            ups = [] if lv == 0 else sorted({f"t{lv - 1}_{i}", f"t{lv - 1}_{(i + 1) % width}"})
            deps[f"t{lv}_{i}"] = ups
    return deps


def _noop() -> None:
    return None


async def _anoop() -> None:
    return None


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


# -- ours ------------------------------------------------------------------------------------------
def rfs_per_task_us(asynchronous: bool = False) -> float:
    from rfs.pipeline import (
        LocalExecutor,
        MemoryIOManager,
        MemoryRunStore,
        Planner,
        TaskRegistry,
        run_pipeline,
    )

    deps = layered()
    registry = TaskRegistry()
    for name, ups in deps.items():
        registry.task(_anoop if asynchronous else _noop, name=name, dependencies=ups)
    plan = Planner(registry).create_execution_plan()

    def once() -> None:
        async def go() -> None:
            executor = LocalExecutor()
            await executor.start()
            result = await run_pipeline(
                plan, executor=executor, io_manager=MemoryIOManager(), run_store=MemoryRunStore()
            )
            await executor.shutdown()
            assert result.is_success(), result

        asyncio.run(go())

    return _best(once) / len(deps) * 1e6


def rfs_default_per_task_us(
    levels: int = LEVELS,
    store_url: str | None = None,
    repeat: int = 3,
    *,
    filesystem: bool = True,
) -> tuple[float, float, float]:
    """Durable run store (+ ``FilesystemIOManager``): best wall, CPU and floor µs per task.

    ``store_url`` None means SQLite in a fresh temporary data directory; ``filesystem=False``
    keeps outputs in memory, leaving the run store's own cost. CPU time (``time.process_time``,
    all threads) is the figure to compare on a loaded machine. The floor is
    :func:`fs_floor_us`, measured right after each run in the same temporary folder (the
    disk's cost moves by several times within minutes on a shared machine).
    """
    from rfs.pipeline import (
        FilesystemIOManager,
        LocalExecutor,
        MemoryIOManager,
        Planner,
        SqlRunStore,
        TaskRegistry,
        run_pipeline,
    )

    deps = layered(levels)
    registry = TaskRegistry()
    for name, ups in deps.items():
        registry.task(_noop, name=name, dependencies=ups)
    plan = Planner(registry).create_execution_plan()
    wall = cpu = floor = float("inf")
    for _ in range(repeat):
        base = tempfile.mkdtemp(prefix="rfs-bench-")
        url = store_url or f"sqlite:///{base}/runs.db"

        async def go(url: str = url, base: str = base) -> None:
            prefix = f"bench{os.getpid()}_" if store_url else "rfs_pipeline_"
            executor, store = LocalExecutor(), SqlRunStore(url, table_prefix=prefix)
            await executor.start()
            io = FilesystemIOManager(f"{base}/outputs") if filesystem else MemoryIOManager()
            result = await run_pipeline(plan, executor=executor, io_manager=io, run_store=store)
            await executor.shutdown()
            if store_url:  # a shared server: leave nothing behind
                await store.drop_tables()
            await store.close()
            assert result.is_success(), result

        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        asyncio.run(go())
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
        if filesystem:
            floor = min(floor, fs_floor_us(len(deps) if len(deps) <= 1000 else 1000, base))
        shutil.rmtree(base, ignore_errors=True)
    return wall / len(deps) * 1e6, cpu / len(deps) * 1e6, floor


def fs_floor_us(n: int = 1000, parent: str | None = None) -> float:
    """CPU µs of the bare system calls one output costs in the filesystem layout.

    ``{run}/{task}/{id}.pkl``: one folder per task, a temporary file written, then renamed;
    a plain loop, no Python objects of ours.
    """
    base = tempfile.mkdtemp(prefix="rfs-floor-", dir=parent)
    start = time.process_time()
    for i in range(n):
        folder = f"{base}/run/t{i}"
        os.makedirs(folder, exist_ok=True)
        with open(f"{folder}/.o.tmp", "wb") as file:
            file.write(b"x" * 16)
        os.replace(f"{folder}/.o.tmp", f"{folder}/o.pkl")
    elapsed = time.process_time() - start
    shutil.rmtree(base, ignore_errors=True)
    return elapsed / n * 1e6


# -- peers -----------------------------------------------------------------------------------------
def prefect_per_task_us(levels: int = LEVELS, *, persist: bool = False) -> float | None:
    """Prefect's local run (its run records always go to its SQLite database).

    ``persist=True`` also writes each task's result to Prefect's local result storage (its
    default once persistence is on), the closest to ``rfs run``'s durable defaults.
    """
    if not available("prefect"):
        return None
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="rfs-bench-prefect-"))
    from prefect import flow
    from prefect import task as ptask

    deps = layered(levels)
    noop = ptask(_noop, persist_result=persist)

    @flow
    def dag() -> None:
        done: dict[str, Any] = {}
        for name, ups in deps.items():
            done[name] = noop.submit(wait_for=[done[u] for u in ups])
        for future in done.values():
            future.result()

    dag()  # warm up the ephemeral API
    return _best(dag, repeat=1) / len(deps) * 1e6


def _dagster_job(deps: dict[str, list[str]], durable: bool) -> Any:
    """The layered DAG as a Dagster job; ``durable`` stores each output with Dagster's
    ``FilesystemIOManager`` (its default outside tests), else outputs are ``Nothing``."""
    import dagster as dg

    kind = dg.Any if durable else dg.Nothing

    def emit(context, inputs):  # type: ignore[no-untyped-def]  # Dagster refuses other hints
        yield dg.Output(None, "result")

    ops = {
        name: dg.OpDefinition(
            name=name,
            ins={f"in_{u}": dg.In(kind) for u in ups},
            compute_fn=emit if durable else (lambda context, inputs: None),
            outs={"result": dg.Out(kind)},
        )
        for name, ups in deps.items()
    }
    graph = dg.GraphDefinition(
        name="layered",
        node_defs=list(ops.values()),
        dependencies={
            name: {f"in_{u}": dg.DependencyDefinition(u, "result") for u in ups}
            for name, ups in deps.items()
        },
    )
    if durable:
        outputs = dg.FilesystemIOManager(base_dir=tempfile.mkdtemp(prefix="rfs-bench-dagster-"))
        return graph.to_job(resource_defs={"io_manager": outputs})
    return graph.to_job()


_DAGSTER_QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def dagster_per_task_us() -> float | None:
    """Dagster in process, its ephemeral in-memory instance, nothing stored."""
    if not available("dagster"):
        return None
    deps = layered()
    job = _dagster_job(deps, durable=False)

    def once() -> None:
        assert job.execute_in_process(run_config=_DAGSTER_QUIET).success

    return _best(once, repeat=1) / len(deps) * 1e6


def dagster_durable_per_task_us(levels: int = LEVELS) -> float | None:
    """Dagster with its own durable defaults: a SQLite-backed instance in a fresh
    ``DAGSTER_HOME`` (run, event and schedule storage) and ``FilesystemIOManager`` outputs."""
    if not available("dagster"):
        return None
    import dagster as dg

    deps = layered(levels)
    job = _dagster_job(deps, durable=True)
    home = tempfile.mkdtemp(prefix="rfs-bench-dagster-")
    try:
        quiet = {"telemetry": {"enabled": False}}
        with dg.DagsterInstance.local_temp(home, overrides=quiet) as instance:

            def once() -> None:
                assert job.execute_in_process(run_config=_DAGSTER_QUIET, instance=instance).success

            return _best(once, repeat=1) / len(deps) * 1e6
    finally:
        shutil.rmtree(home, ignore_errors=True)


def hamilton_per_task_us() -> float | None:
    if not available("hamilton"):
        return None
    from hamilton import driver

    deps = layered()
    module = types.ModuleType("hamilton_layered")
    sys.modules[module.__name__] = module  # Hamilton looks functions' modules up by name
    source = []
    for name, ups in deps.items():
        args = ", ".join(f"{u}: int" for u in ups)
        source.append(f"def {name}({args}) -> int:\n    return 0\n")
    exec("\n".join(source), module.__dict__)
    dr = driver.Builder().with_modules(module).build()
    finals = [n for n in deps if n.startswith(f"t{LEVELS - 1}_")]
    return _best(lambda: dr.execute(finals), repeat=3) / len(deps) * 1e6


def _peer(fn: Callable[[], float | None]) -> float | None:
    try:
        return fn()
    except Exception as exc:  # report, never crash the whole benchmark
        print(f"  {fn.__name__}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None


# -- planner, registry, streaming ------------------------------------------------------------------
def planner_ms(n: int) -> tuple[float, int]:
    """Time to plan and schema-check n typed tasks (data dependencies); also how many
    mismatches one run reports when 1% of the edges are wrong."""
    from rfs.pipeline import Planner, SchemaMismatchError, TaskRegistry

    width = max(10, n // 10)
    deps = layered(n // width, width)

    def build(bad_every: int) -> TaskRegistry:
        registry = TaskRegistry()
        ns: dict[str, Any] = {}
        src = []
        for k, (name, ups) in enumerate(deps.items()):
            bad = bad_every and k % bad_every == bad_every // 2 and ups
            args = ", ".join(f"{u}: {'str' if bad else 'int'}" for u in ups)
            src.append(f"def {name}({args}) -> int:\n    return 0\n")
        exec("\n".join(src), ns)
        for name, ups in deps.items():
            registry.task(ns[name], name=name, dependencies=ups)
        return registry

    good = build(0)
    planner = Planner(good)
    seconds = _best(lambda: planner.create_execution_plan(), repeat=3)
    bad = Planner(build(100))
    try:
        bad.create_execution_plan()
        reported = 0
    except SchemaMismatchError as exc:
        reported = len(exc.problems)
    return seconds * 1e3, reported


def registry_lookups_per_s() -> tuple[float, float]:
    from rfs.pipeline import TaskRegistry

    registry = TaskRegistry()
    for i in range(1000):
        registry.task(_noop, name=f"t{i}")
    number = 2_000_000

    def rate(get: Callable[[str], object]) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(number // 10):
                get("t500"), get("t1"), get("t999"), get("t42"), get("t7")
                get("t500"), get("t1"), get("t999"), get("t42"), get("t7")
            best = min(best, time.perf_counter() - start)
        return number / best

    plain = {name: registry.get(name) for name in registry.names()}
    return rate(registry.get), rate(plain.__getitem__)


_STREAM_SCRIPT = r"""
import asyncio, sys, time
from collections.abc import Iterator
from rfs.pipeline import FilesystemIOManager, MemoryRunStore, Planner, TaskRegistry, run_pipeline
n, base = int(sys.argv[1]), sys.argv[2]
registry = TaskRegistry()
payload = b"x" * 1024


class NullIO:  # accepts every item and forgets it; load returns 1 KB (driver cost only)

    def save(self, run_id, task_name, task_result_id, value):
        return task_result_id

    def load(self, run_id, task_name, task_result_id):
        return payload if task_result_id.startswith("item-") else None

    def exists(self, *args):
        return True

    def list_results(self, run_id, task_name):
        return []

    def clear_run(self, run_id):
        return 0

    def list_runs(self):
        return []

@registry.task
def produce() -> Iterator[bytes]:
    for i in range(n):
        yield payload

@registry.task(dependencies=["produce"])
def consume(produce: Iterator[bytes]) -> int:
    return sum(len(item) for item in produce)

async def main() -> None:
    start = time.perf_counter()
    plan = Planner(registry).create_execution_plan()
    io = NullIO() if base == "null" else FilesystemIOManager(base)
    result = await run_pipeline(plan, io_manager=io, run_store=MemoryRunStore())
    assert result.is_success(), result
    if base != "null":
        assert result.unwrap().output("consume") == n * 1024
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across execve
    status = open("/proc/self/status").read()
    hwm = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    print(time.perf_counter() - start, hwm)

asyncio.run(main())
"""


def streaming_peak_rss_mb(items: int, filesystem: bool) -> tuple[float, float]:
    """Peak RSS of a driver process streaming ``items`` x 1 KB (through the filesystem, or
    through an I/O manager that stores nothing, to isolate the driver's own memory)."""
    base = tempfile.mkdtemp(prefix="rfs-bench-stream-") if filesystem else "null"
    try:
        out = subprocess.run(
            [sys.executable, "-c", _STREAM_SCRIPT, str(items), base],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        if filesystem:
            shutil.rmtree(base, ignore_errors=True)
    seconds, rss_kb = out.stdout.split()
    return float(rss_kb) / 1024, float(seconds)


def calibration_ms() -> float:
    """How busy the machine is: 1,000,000 integer additions (about 30-40 ms when idle)."""
    start = time.perf_counter()
    x = 0
    for i in range(1_000_000):
        x += i
    return (time.perf_counter() - start) * 1e3


def _default_rows() -> list[Row]:
    """The durable defaults, with the file layout's floor, then the run store alone."""
    from benchmarks.bench_saga import PG_URL, _pg_up

    rows = []
    for levels in (LEVELS, LEVELS * 10):
        wall, cpu, floor = rfs_default_per_task_us(levels, repeat=2 if levels == LEVELS else 1)
        n = f"{levels * WIDTH:,}"
        rows.append(Row(f"{n} tasks, SQLite store + filesystem I/O, wall", wall, {}, "µs"))
        rows.append(Row(f"{n} tasks, same, CPU (all threads)", cpu, {}, "µs"))
        rows.append(Row(f"{n} tasks, same, floor of the file layout (CPU)", floor, {}, "µs"))
    pg = _pg_up()
    if pg:
        wall, cpu, floor = rfs_default_per_task_us(store_url=PG_URL, repeat=2)
        rows.append(Row("1,000 tasks, PostgreSQL store + filesystem I/O, wall", wall, {}, "µs"))
        rows.append(Row("1,000 tasks, same, CPU (all threads)", cpu, {}, "µs"))
        rows.append(Row("1,000 tasks, same, floor of the file layout (CPU)", floor, {}, "µs"))
    wall, cpu, _ = rfs_default_per_task_us(repeat=2, filesystem=False)
    rows.append(Row("1,000 tasks, SQLite store alone (memory I/O), wall", wall, {}, "µs"))
    rows.append(Row("1,000 tasks, same, CPU (all threads)", cpu, {}, "µs"))
    if pg:
        wall, cpu, _ = rfs_default_per_task_us(store_url=PG_URL, repeat=2, filesystem=False)
        rows.append(Row("1,000 tasks, PostgreSQL store alone (memory I/O), wall", wall, {}, "µs"))
        rows.append(Row("1,000 tasks, same, CPU (all threads)", cpu, {}, "µs"))
    return rows


def _durable_peer_rows() -> list[Row]:
    """The defaults against Dagster's durable defaults on a 200-task DAG (Dagster's durable
    run takes a third of a second per task)."""
    small = 2
    durable_peers = {
        "dagster, SQLite instance + FilesystemIOManager": _peer(
            lambda: dagster_durable_per_task_us(small)
        ),
        "prefect, SQLite run records + persisted results": _peer(
            lambda: prefect_per_task_us(small, persist=True)
        ),
    }
    wall, _, _ = rfs_default_per_task_us(small, repeat=1)
    case = f"{small * WIDTH} tasks, SQLite store + filesystem I/O, wall"
    return [Row(case, wall, durable_peers, "µs")]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    items, fs_items = 1_000_000, 20_000
    if "--streaming-items" in argv:
        items = int(argv[argv.index("--streaming-items") + 1])
    if "--fs-streaming-items" in argv:
        fs_items = int(argv[argv.index("--fs-streaming-items") + 1])
    print(f"machine load check: 1M integer additions took {calibration_ms():.0f} ms")
    default_rows = _default_rows()
    report(
        "Per-task overhead, `rfs run` defaults (durable): read first",
        default_rows,
        note="floor = the bare system calls of the filesystem layout (a folder, a file, a "
        "rename per output), measured right after each run in the same folder; "
        "the run store alone is the part the targets (150 µs SQLite, 300 µs PostgreSQL) "
        "measure without the disk",
    )
    report(
        "`rfs run` defaults against a peer's durable defaults",
        _durable_peer_rows(),
        note="Prefect runs only where it installs (see this module's docstring)",
    )
    ours = rfs_per_task_us()
    peers = {
        "prefect": _peer(prefect_per_task_us),
        "dagster": _peer(dagster_per_task_us),
        "hamilton": _peer(hamilton_per_task_us),
    }
    ours = min(ours, rfs_per_task_us())  # measured again after the peers, best kept
    rows = [
        Row("1,000-task layered DAG, per task, MEMORY store + I/O", ours, peers, "µs"),
        Row("same, async no-ops (rfs only), memory", rfs_per_task_us(asynchronous=True), {}, "µs"),
    ]
    missing = [name for name, value in peers.items() if value is None]
    note = f"peers not installed or failed: {', '.join(missing)}" if missing else ""
    report("Per-task overhead, in-memory store and I/O (not the default)", rows, note=note)

    plan_rows = []
    for n in (100, 1_000, 10_000):
        ms, reported = planner_ms(n)
        plan_rows.append(Row(f"plan + schema-check {n:,} tasks", ms, {}, "ms"))
        print(f"  {n:,} tasks with 1% bad edges: {reported} mismatches reported in one error")
    report("Planner", plan_rows)

    rate, dict_rate = registry_lookups_per_s()
    report(
        "Registry",
        [
            Row(
                "lookups per second (higher is better)",
                rate / 1e6,
                {"dict": dict_rate / 1e6},
                "M/s",
            )
        ],
    )

    null_rss, null_s = streaming_peak_rss_mb(items, filesystem=False)
    fs_rss, fs_s = streaming_peak_rss_mb(fs_items, filesystem=True)
    report(
        "Streaming: driver peak RSS",
        [
            Row(f"{items:,} items x 1 KB, discarding I/O manager", null_rss, {}, "MB"),
            Row(f"{fs_items:,} items x 1 KB, FilesystemIOManager", fs_rss, {}, "MB"),
        ],
        note=f"{null_s:.1f} s and {fs_s:.1f} s for produce + consume",
    )


if __name__ == "__main__":
    main()
