"""In-memory run store: for tests, benchmarks and runs nobody needs to resume."""

from __future__ import annotations

from dataclasses import replace

from rfs.pipeline.store.base import AttemptRecord, RunRecord, RunState, TaskRecord

__all__ = ["MemoryRunStore"]


class MemoryRunStore:
    """Keeps runs in a dict of this process."""

    def __init__(self) -> None:
        self._runs: dict[str, RunRecord] = {}
        self._tasks: dict[str, dict[str, TaskRecord]] = {}
        self._attempts: dict[str, dict[tuple[str, int], AttemptRecord]] = {}

    async def create_run(self, run: RunRecord, task_names: list[str]) -> None:
        self._runs[run.run_id] = replace(run, tasks=())
        self._tasks[run.run_id] = {n: TaskRecord(run.run_id, n) for n in task_names}
        self._attempts[run.run_id] = {}

    async def update_run(
        self, run_id: str, state: RunState, *, finished_at: float | None, error: str | None
    ) -> None:
        run = self._runs[run_id]
        self._runs[run_id] = replace(run, state=state, finished_at=finished_at, error=error)

    async def save_attempt(self, attempt: AttemptRecord, task: TaskRecord) -> None:
        self._attempts[attempt.run_id][(attempt.task_name, attempt.attempt)] = attempt
        self._tasks[task.run_id][task.task_name] = task

    async def save_task(self, task: TaskRecord) -> None:
        self._tasks[task.run_id][task.task_name] = task

    async def get_run(self, run_id: str) -> RunRecord | None:
        run = self._runs.get(run_id)
        if run is None:
            return None
        return replace(run, tasks=tuple(self._tasks[run_id].values()))

    async def list_runs(self, limit: int = 20) -> list[RunRecord]:
        runs = sorted(self._runs.values(), key=lambda r: r.started_at, reverse=True)
        return runs[:limit]

    async def list_attempts(self, run_id: str) -> list[AttemptRecord]:
        return sorted(self._attempts.get(run_id, {}).values(), key=lambda a: a.started_at)

    async def close(self) -> None:
        return None
