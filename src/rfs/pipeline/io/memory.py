"""In-memory I/O manager: outputs in a dict, for tests, benchmarks and throwaway runs."""

from __future__ import annotations

from typing import Any

from rfs.pipeline.io.base import check_name

__all__ = ["MemoryIOManager"]


class MemoryIOManager:
    """Keeps outputs in this process only (not usable by multiprocess or Celery executors)."""

    #: outputs live in this process's memory: worker executors refuse this manager
    process_local = True

    def __init__(self) -> None:
        self._data: dict[str, dict[str, dict[str, Any]]] = {}

    def save(self, run_id: str, task_name: str, task_result_id: str, value: Any) -> str:
        check_name("task_result_id", task_result_id)
        task = self._data.setdefault(run_id, {}).setdefault(task_name, {})
        task[task_result_id] = value
        return f"memory:{run_id}/{task_name}/{task_result_id}"

    def load(self, run_id: str, task_name: str, task_result_id: str) -> Any:
        try:
            return self._data[run_id][task_name][task_result_id]
        except KeyError:
            raise KeyError(f"no output {run_id}/{task_name}/{task_result_id}") from None

    def exists(self, run_id: str, task_name: str, task_result_id: str) -> bool:
        return task_result_id in self._data.get(run_id, {}).get(task_name, {})

    def list_results(self, run_id: str, task_name: str) -> list[str]:
        return sorted(self._data.get(run_id, {}).get(task_name, {}))

    def clear_run(self, run_id: str) -> int:
        tasks = self._data.pop(run_id, {})
        return sum(len(results) for results in tasks.values())

    def list_runs(self) -> list[str]:
        return sorted(self._data)

    def __repr__(self) -> str:
        return "MemoryIOManager"
