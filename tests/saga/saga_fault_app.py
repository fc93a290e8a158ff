"""A 5-step saga whose steps record their effects in SQLite, for SIGKILL fault tests.

Run as a script: ``one`` executes one saga and may be killed at the boundary named by
``SAGA_KILL_AT`` (``action:2:before``, ``action:2:after``, ``compensate:1:after``...);
``drive`` forks ``--count`` executions, each SIGKILLed at a seeded random boundary and
recovered by a fresh child, then prints a JSON summary; ``serve`` forks victims on request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from rfs.result import Failure, Result, Success
from rfs.saga import Saga, SagaLog, StepContext
from rfs.tx import DistributedTransaction
from rfs.tx.distributed import TransactionScope

STEPS = 5
SAGA_NAME = "fault_five_step"

saga = Saga(SAGA_NAME, retry_backoff=0.001)


def open_log(log_url: str) -> SagaLog:
    """The log at ``log_url``; ``SAGA_TABLE_PREFIX`` keeps parallel tests apart."""
    return SagaLog(log_url, table_prefix=os.environ.get("SAGA_TABLE_PREFIX", "rfs_saga_"))


def init_effects(path: str) -> None:
    """Create the effects database the steps write into."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.executescript(
        """
        CREATE TABLE IF NOT EXISTS applied (key TEXT PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS effects (execution TEXT, step INTEGER, kind TEXT);
        CREATE TABLE IF NOT EXISTS attempts (
            execution TEXT, step INTEGER, kind TEXT, at REAL, pid INTEGER, recovering INTEGER
        );
        """
    )
    con.close()


def _maybe_kill(kind: str, index: int, phase: str) -> None:
    if os.environ.get("SAGA_KILL_AT") == f"{kind}:{index}:{phase}":
        os.kill(os.getpid(), signal.SIGKILL)


def _record(ctx: dict[str, Any], step: StepContext, kind: str) -> None:
    con = sqlite3.connect(ctx["effects"], timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute(
            "INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?)",
            (step.execution_id, step.index, kind, time.time(), os.getpid(), step.recovering),
        )
        seen = con.execute(
            "SELECT 1 FROM applied WHERE key = ?", (step.idempotency_key,)
        ).fetchone()
        if seen is None:  # the idempotency key recognises a repeat after recovery
            con.execute("INSERT INTO applied VALUES (?)", (step.idempotency_key,))
            con.execute(
                "INSERT INTO effects VALUES (?, ?, ?)", (step.execution_id, step.index, kind)
            )
        con.execute("COMMIT")
    finally:
        con.close()


def _action(ctx: dict[str, Any], step: StepContext) -> Result[None, str]:
    _maybe_kill("action", step.index, "before")
    if ctx.get("fail_at") == step.index:
        return Failure(f"planned failure at step {step.index}")
    _record(ctx, step, "action")
    _maybe_kill("action", step.index, "after")
    return Success(None)


def _compensate(ctx: dict[str, Any], step: StepContext) -> Result[None, str]:
    _maybe_kill("compensate", step.index, "before")
    _record(ctx, step, "compensate")
    _maybe_kill("compensate", step.index, "after")
    return Success(None)


for _i in range(STEPS):
    saga.add_step(f"step{_i}", _action, _compensate)


def boundaries(fail_at: int | None) -> list[str]:
    """Every kill point a run failing at ``fail_at`` (or not at all) passes through."""
    last = STEPS - 1 if fail_at is None else fail_at
    points = [f"action:{i}:before" for i in range(last + 1)]
    points += [f"action:{i}:after" for i in range(last + (fail_at is None))]
    if fail_at is not None:
        for i in reversed(range(fail_at)):
            points += [f"compensate:{i}:before", f"compensate:{i}:after"]
    return points


def check(effects: str, statuses: dict[str, str], fail_at: dict[str, int | None]) -> list[str]:
    """Problems found: non-final executions, repeated effects, half-done executions."""
    con = sqlite3.connect(effects)
    rows = con.execute("SELECT execution, step, kind FROM effects").fetchall()
    con.close()
    problems: list[str] = []
    seen: dict[str, dict[tuple[int, str], int]] = {}
    for execution, step, kind in rows:
        counts = seen.setdefault(execution, {})
        counts[(step, kind)] = counts.get((step, kind), 0) + 1
    for execution, status in statuses.items():
        counts = seen.get(execution, {})
        if any(n > 1 for n in counts.values()):
            problems.append(f"{execution}: an effect applied twice {counts}")
        actions = {s for (s, k) in counts if k == "action"}
        undone = {s for (s, k) in counts if k == "compensate"}
        failing = fail_at[execution]
        if status == "completed":
            if failing is not None or actions != set(range(STEPS)) or undone:
                problems.append(f"{execution}: completed but effects {counts}")
        elif status == "compensated":
            if failing is None or actions != set(range(failing)) or undone != actions:
                problems.append(f"{execution}: compensated but effects {counts}")
        else:
            problems.append(f"{execution}: left {status}")
    return problems


WORKFLOW_NAME = "fault_five_step_workflow"


def make_workflow(log: SagaLog) -> Any:
    """The same 5 steps as an async ``@DistributedTransaction`` on ``log`` (replayed)."""

    @DistributedTransaction(name=WORKFLOW_NAME, log=log, retry_backoff=0.001)
    async def five(effects: str, fail_at: int | None, tx: TransactionScope) -> Result[None, str]:
        ctx = {"effects": effects, "fail_at": fail_at}
        for i in range(STEPS):
            done = await tx.step(
                f"step{i}",
                lambda step: _action(ctx, step),
                compensate=lambda value, step: _compensate(ctx, step),
            )
            if done.is_failure():
                return done
        return Success(None)

    return five


async def run_workflow_one(log_url: str, effects: str, fail: int | None) -> str:
    log = open_log(log_url)
    try:
        result = await make_workflow(log)(effects, fail)
        return "completed" if result.is_success() else "failed"
    finally:
        await log.close()


async def run_one(log_url: str, effects: str, execution_id: str, fail: int | None) -> str:
    log = open_log(log_url)
    try:
        context = {"effects": effects, "fail_at": fail}
        result = await saga.execute(context, execution_id=execution_id, log=log)
        return "completed" if result.is_success() else "failed"
    finally:
        await log.close()


async def recover_all(log_url: str) -> dict[str, Any]:
    log = open_log(log_url)
    try:
        report = (await log.recover()).unwrap()
        return {"recovered": len(report.results), "unknown": report.unknown}
    finally:
        await log.close()


async def final_statuses(log_url: str) -> dict[str, str]:
    log = open_log(log_url)
    try:
        return {r.id: r.status.value for r in await log.list(limit=1_000_000)}
    finally:
        await log.close()


def _fork(fn: Any) -> int:
    """Run ``fn()`` in a forked child; return its wait status."""
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            fn()
            code = 0
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1]


def drive(log_url: str, effects: str, count: int, seed: int) -> dict[str, Any]:
    """``count`` executions, each killed at a seeded boundary and recovered by a new child."""
    init_effects(effects)
    rng = random.Random(seed)
    fail_at: dict[str, int | None] = {}
    kills = 0
    latencies: list[float] = []
    for n in range(count):
        fail = rng.choice([None, None, 1, 2, 3, 4])
        point = rng.choice(boundaries(fail))
        execution_id = f"run{seed}-{n}"
        fail_at[execution_id] = fail

        def victim(eid: str = execution_id, f: int | None = fail, p: str = point) -> None:
            os.environ["SAGA_KILL_AT"] = p
            asyncio.run(run_one(log_url, effects, eid, f))

        status = _fork(victim)
        dead_at = time.time()
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            kills += 1
        status = _fork(lambda: asyncio.run(recover_all(log_url)))
        if status != 0:
            raise RuntimeError(f"recovery child failed with status {status}")
        con = sqlite3.connect(effects)
        first = con.execute(
            "SELECT min(at) FROM attempts WHERE execution = ? AND at > ?", (execution_id, dead_at)
        ).fetchone()[0]
        con.close()
        if first is not None:
            latencies.append(first - dead_at)
    statuses = asyncio.run(final_statuses(log_url))
    problems = check(effects, statuses, fail_at)
    return {
        "runs": count,
        "kills": kills,
        "statuses": {s: list(statuses.values()).count(s) for s in set(statuses.values())},
        "problems": problems[:20],
        "recovery_start_s": _percentiles(latencies),
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    """p50/p90/p99/max of ``values`` (seconds, rounded to ms)."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": round(ordered[-1], 3)}


def serve() -> None:
    """Fork a victim per JSON line on stdin; answer with its exit code (``-9``: SIGKILLed).

    The server imports everything once and never starts an event loop or a thread, so each
    fork is a cheap, clean process: tests pay the interpreter start-up once, not per kill.
    """
    for line in sys.stdin:
        job = json.loads(line)

        def victim(job: dict[str, Any] = job) -> None:
            os.environ["SAGA_KILL_AT"] = job["point"]
            os.environ["SAGA_TABLE_PREFIX"] = job["prefix"]
            init_effects(job["effects"])
            if job.get("workflow"):
                asyncio.run(run_workflow_one(job["log_url"], job["effects"], job["fail"]))
            else:
                asyncio.run(
                    run_one(job["log_url"], job["effects"], job["execution_id"], job["fail"])
                )

        status = _fork(victim)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(json.dumps({"code": code}), flush=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("one")
    one.add_argument("log_url")
    one.add_argument("effects")
    one.add_argument("execution_id")
    one.add_argument("--fail-at", type=int, default=None)
    many = sub.add_parser("drive")
    many.add_argument("log_url")
    many.add_argument("effects")
    many.add_argument("--count", type=int, default=100)
    many.add_argument("--seed", type=int, default=0)
    sub.add_parser("serve")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve()
    elif args.command == "one":
        init_effects(args.effects)
        print(asyncio.run(run_one(args.log_url, args.effects, args.execution_id, args.fail_at)))
    else:
        print(json.dumps(drive(args.log_url, args.effects, args.count, args.seed)))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main(sys.argv[1:])
