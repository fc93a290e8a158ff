"""Monitoring overhead: a log call below the level, ``@log_result_operation`` emitting and
disabled against hand-wrapped structlog/stdlib, one metric observation against
prometheus-client's ``Histogram.observe``, and monitoring on vs off for the in-memory event round
trip and the pipeline per-task overhead.

All figures are CPU time (``time.process_time``) so that other load on the machine does not
skew them; the on/off rows alternate off and on runs and keep the best of each.

Run: ``python -m benchmarks monitoring``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from benchmarks._harness import Row, available, report
from benchmarks._harness import per_call_ns as _per_call_ns
from rfs.events import Event, InMemoryBroker, InMemoryConsumer, InMemoryPublisher
from rfs.monitoring import (
    ResultMetricsCollector,
    disable_monitoring,
    enable_monitoring,
    log_info,
    log_result_operation,
)
from rfs.pipeline import MemoryIOManager, MemoryRunStore, Planner, TaskRegistry, run_pipeline
from rfs.result import Result, Success


def per_call_ns(fn: Any) -> float:
    """CPU nanoseconds per call."""
    return _per_call_ns(fn, clock=time.process_time)


class Discard(logging.Handler):
    """Receives every record and drops it (what an emitting call costs up to the handler)."""

    def emit(self, record: logging.LogRecord) -> None:
        pass


def _loggers() -> tuple[logging.Logger, logging.Logger]:
    quiet = logging.getLogger("bench.quiet")
    quiet.setLevel(logging.WARNING)
    quiet.propagate = False
    loud = logging.getLogger("bench.loud")
    loud.setLevel(logging.INFO)
    loud.propagate = False
    loud.handlers = [Discard()]
    return quiet, loud


def bench_logging() -> list[Row]:
    quiet, loud = _loggers()
    rows = [
        Row(
            "log call below level",
            per_call_ns(lambda: log_info("user %s", logger="bench.quiet", user_id=7)),
            {"stdlib": per_call_ns(lambda: quiet.info("user %s", 7))},
        )
    ]

    def noop() -> Result[int, str]:
        return Success(1)

    emitting = log_result_operation("noop", logger="bench.loud")(noop)
    disabled = log_result_operation("noop", logger="bench.quiet")(noop)

    def by_hand_stdlib() -> Result[int, str]:
        start = time.perf_counter()
        result = noop()
        loud.info(
            "noop: success after %.2f ms",
            (time.perf_counter() - start) * 1000,
            extra={"operation": "noop", "result_type": "success"},
        )
        return result

    peers: dict[str, float | None] = {"stdlib by hand": per_call_ns(by_hand_stdlib)}
    if available("structlog"):
        import structlog

        slog = structlog.wrap_logger(
            structlog.ReturnLogger(),
            processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
        )

        def by_hand_structlog() -> Result[int, str]:
            start = time.perf_counter()
            result = noop()
            slog.info("noop", result_type="success", ms=(time.perf_counter() - start) * 1000)
            return result

        peers["structlog by hand"] = per_call_ns(by_hand_structlog)
    bare = per_call_ns(noop)
    rows.append(Row("@log_result_operation emitting (incl. call)", per_call_ns(emitting), peers))
    rows.append(
        Row(
            "@log_result_operation disabled (incl. call)",
            per_call_ns(disabled),
            {"bare call": bare},
        )
    )
    return rows


def bench_observation() -> list[Row]:
    collector = ResultMetricsCollector()
    values = [0.5 + (i % 997) * 0.37 for i in range(1000)]
    it = iter(range(1 << 62))

    def ours() -> None:
        collector.observe("op", True, values[next(it) % 1000])

    record = collector.recorder("op2")
    it3 = iter(range(1 << 62))

    def recorded() -> None:
        record(True, values[next(it3) % 1000], None)

    peers: dict[str, float | None] = {}
    if available("prometheus_client"):
        from prometheus_client import CollectorRegistry, Histogram

        hist = Histogram("bench_seconds", "x", registry=CollectorRegistry())
        it2 = iter(range(1 << 62))
        peers["prometheus Histogram.observe"] = per_call_ns(
            lambda: hist.observe(values[next(it2) % 1000])
        )
    return [
        Row("one observation (4 windows + total)", per_call_ns(ours), peers),
        Row("one observation, resolved recorder (hot paths)", per_call_ns(recorded), peers),
    ]


async def _round_trips(n: int) -> float:
    broker = InMemoryBroker()
    sub = InMemoryConsumer(broker).consume("bench.*")
    pub = InMemoryPublisher(broker)
    seen = 0

    async def handler(_e: Event) -> None:
        nonlocal seen
        seen += 1
        if seen == n:
            await sub.close()

    runner = asyncio.create_task(sub.run(handler))
    start = time.process_time()
    for i in range(n):
        await pub.publish("bench.x", Event("bench.x", {"i": i}))
    await runner
    return (time.process_time() - start) / n * 1e9


def _pipeline_registry(n: int) -> Any:
    registry = TaskRegistry()
    for i in range(n):
        registry.task(name=f"t{i}")(lambda: 1)
    return Planner(registry).create_execution_plan()


async def _per_task(plan: Any, n: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        await run_pipeline(plan, io_manager=MemoryIOManager(), run_store=MemoryRunStore())
        best = min(best, time.process_time() - start)
    return best / n * 1e9


def bench_on_off() -> list[Row]:
    plan = _pipeline_registry(200)
    inf = float("inf")
    results: dict[str, tuple[float, float]] = {"off": (inf, inf), "on": (inf, inf)}
    for _ in range(3):  # alternate, keep the best of each: load changes between runs
        for label in ("off", "on"):
            if label == "on":
                enable_monitoring(ResultMetricsCollector())
            else:
                disable_monitoring()
            events = asyncio.run(_round_trips(20_000))
            tasks = asyncio.run(_per_task(plan, 200))
            best = results[label]
            results[label] = (min(best[0], events), min(best[1], tasks))
    disable_monitoring()
    return [
        Row("event round trip, monitoring on", results["on"][0], {"off": results["off"][0]}),
        Row("pipeline per task, monitoring on", results["on"][1], {"off": results["off"][1]}),
    ]


def main() -> None:
    rows = bench_logging() + bench_observation() + bench_on_off()
    report(
        "rfs.monitoring overhead",
        rows,
        note="peer/rfs > 1 means rfs is faster; for on/off rows, off/on < 1 is the cost of on",
    )


if __name__ == "__main__":
    main()
