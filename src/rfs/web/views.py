"""JSON views of runs, attempts and saga executions (what the ops API and dashboard show)."""

from __future__ import annotations

from typing import Any

from rfs.pipeline.store import AttemptRecord, RunRecord, TaskRecord
from rfs.saga.records import ExecutionRecord

__all__ = ["attempt_view", "execution_view", "run_view", "task_view"]


def task_view(task: TaskRecord) -> dict[str, Any]:
    return {
        "name": task.task_name,
        "state": task.state.value,
        "attempts": task.attempts,
        "started_at": task.started_at,
        "finished_at": task.finished_at,
        "duration": task.duration,
        "error": task.error,
    }


def attempt_view(attempt: AttemptRecord) -> dict[str, Any]:
    return {
        "task": attempt.task_name,
        "attempt": attempt.attempt,
        "state": attempt.state.value,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
        "duration": attempt.duration,
        "error": attempt.error,
    }


def run_view(run: RunRecord, *, acknowledged: bool = False) -> dict[str, Any]:
    return {
        "id": run.run_id,
        "dag_id": run.dag_id,
        "state": run.state.value,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration": run.duration,
        "error": run.error,
        "acknowledged": acknowledged,
    }


def execution_view(record: ExecutionRecord, *, with_log: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "saga": record.saga_name,
        "status": record.status.value,
        "owner": record.owner,
        "lease_until": record.lease_until,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "error": record.error,
        "unreadable": record.unreadable,
    }
    if with_log:
        view["log"] = [
            {
                "kind": str(e.kind),
                "step": e.step,
                "index": e.index,
                "attempt": e.attempt,
                "detail": e.detail,
                "at": e.at,
            }
            for e in record.events
        ]
    return view
