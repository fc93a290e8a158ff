"""Submit + complete of no-op coroutines: AsyncTaskManager against a bare asyncio.TaskGroup
and aiojobs, in the same process.

"burst" submits N tasks then waits for all; "one by one" submits a task and awaits its
result before the next (per-task latency). Figures are CPU ns per task (``process_time``,
best of 5: all of it is single-threaded CPU work, and CPU time stays meaningful on a shared,
loaded machine where wall time does not); the throughput line prints tasks per CPU second. max_workers (and aiojobs' limit) is 10, retention 1,000.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from benchmarks._harness import Row, available, report
from rfs.async_tasks import AsyncTaskManager

N = 50_000
REPEAT = 5


async def noop() -> None:
    return None


async def rfs_burst(n: int) -> None:
    manager = AsyncTaskManager(max_workers=10, retention=1_000)
    for _ in range(n):
        await manager.submit(noop)
    await manager.shutdown(wait=True)


async def taskgroup_burst(n: int) -> None:
    async with asyncio.TaskGroup() as group:
        for _ in range(n):
            group.create_task(noop())


async def aiojobs_burst(n: int) -> None:
    import aiojobs

    scheduler = aiojobs.Scheduler(limit=10, pending_limit=n)
    for _ in range(n):
        await scheduler.spawn(noop())
    await scheduler.wait_and_close()


async def rfs_one_by_one(n: int) -> None:
    manager = AsyncTaskManager(max_workers=10, retention=1_000)
    for _ in range(n):
        await manager.get_result(await manager.submit(noop))
    await manager.shutdown()


async def taskgroup_one_by_one(n: int) -> None:
    async with asyncio.TaskGroup() as group:
        for _ in range(n):
            await group.create_task(noop())


async def aiojobs_one_by_one(n: int) -> None:
    import aiojobs

    scheduler = aiojobs.Scheduler(limit=10)
    for _ in range(n):
        job = await scheduler.spawn(noop())
        await job.wait()
    await scheduler.close()


def best_ns(run: Callable[[int], Awaitable[None]], n: int) -> float:
    async def timed() -> float:
        await run(1_000)  # warm up
        best = float("inf")
        for _ in range(REPEAT):
            start = time.process_time()
            await run(n)
            best = min(best, time.process_time() - start)
        return best / n * 1e9

    return asyncio.run(timed())


def main() -> None:
    has_aiojobs = available("aiojobs")
    rows = []
    for case, ours, group, jobs, n in [
        ("burst of 50,000", rfs_burst, taskgroup_burst, aiojobs_burst, N),
        (
            "one by one (submit, await)",
            rfs_one_by_one,
            taskgroup_one_by_one,
            aiojobs_one_by_one,
            N // 5,
        ),
    ]:
        peers: dict[str, float | None] = {"TaskGroup": best_ns(group, n)}
        peers["aiojobs"] = best_ns(jobs, n) if has_aiojobs else None
        rows.append(Row(case, best_ns(ours, n), peers, unit="ns/task"))
    report(
        "AsyncTaskManager: no-op submit + complete",
        rows,
        note="peer/rfs > 1 means rfs is faster; TaskGroup has no queue, status, ids or retention",
    )
    burst = rows[0]
    print(
        f"rfs burst throughput: {1e9 / burst.ours:,.0f} tasks/s "
        f"(TaskGroup {1e9 / burst.peers['TaskGroup']:,.0f}/s)",  # type: ignore[operator]
        flush=True,
    )


if __name__ == "__main__":
    main()
