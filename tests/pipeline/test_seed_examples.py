"""Seed 002 (dp-poc) code examples run unchanged with ``rfs.pipeline`` imports."""

from __future__ import annotations

from pathlib import Path

from rfs.pipeline import TaskRegistry

SEED_3 = """
from rfs.pipeline import task, get_registry

@task(name="extract_data", tags=["etl", "extract"])
def extract_data() -> dict[str, list[int]]:
    return {"data": [1, 2, 3, 4, 5]}

@task(name="transform_data", tags=["etl", "transform"], dependencies=["extract_data"])
async def transform_data(data: dict[str, list[int]]) -> list[int]:
    return [x * 2 for x in data["data"]]

registry = get_registry()
task_info = registry.get("extract_data")
print(f"Task: {task_info.name}, Async: {task_info.is_async}")
"""

SEED_4 = """
from rfs.pipeline import task
from rfs.pipeline import get_planner

@task(name="extract", tags=["etl"])
def extract():
    return {"data": [1, 2, 3]}

@task(name="transform", tags=["etl"], dependencies=["extract"])
def transform():
    return [2, 4, 6]

@task(name="load", tags=["etl"], dependencies=["transform"])
def load():
    pass

planner = get_planner()
plan = planner.create_execution_plan(tags=["etl"])
print(f"Execution order: {plan.execution_order}")
print(f"Parallel levels: {plan.parallel_levels}")
completed = set()
for level_tasks in plan.parallel_levels:
    for task_id in level_tasks:
        print(f"Executing {task_id}...")
    completed.update(level_tasks)
"""

SEED_5 = """
from rfs.pipeline import FilesystemIOManager
from pathlib import Path

io_manager = FilesystemIOManager(base_path=Path(BASE))
run_id = "run_20250115_001"
data = {"processed": [1, 2, 3, 4, 5], "count": 5}
path = io_manager.save(
    run_id=run_id,
    task_name="extract_data",
    task_result_id="result_001",
    value=data
)
print(f"Saved to: {path}")
loaded_data = io_manager.load(
    run_id=run_id,
    task_name="extract_data",
    task_result_id="result_001"
)
print(f"Loaded: {loaded_data}")
for i, chunk in enumerate(data_generator()):
    io_manager.save(
        run_id=run_id,
        task_name="streaming_task",
        task_result_id=f"chunk_{i}",
        value=chunk
    )
results = io_manager.list_results(run_id=run_id, task_name="streaming_task")
print(f"Found {len(results)} results")
deleted_count = io_manager.clear_run(run_id=run_id)
print(f"Deleted {deleted_count} results")
"""

SEED_6 = """
from typing import Generator
from rfs.pipeline import task

@task(
    name="resilient_task",
    max_retries=3,
    fail_safe=True,
    timeout=60,
    stream_output=False
)
def resilient_task(data: dict) -> dict:
    return process_data(data)

@task(
    name="streaming_task",
    stream_output=True,
    timeout=300
)
def streaming_task(batch_size: int) -> Generator[list, None, None]:
    for chunk in read_large_dataset(batch_size):
        yield process_chunk(chunk)
"""


def test_seed_registry_example(default_registry: TaskRegistry, capsys: object) -> None:
    """Seed example 3 registers tasks and looks one up."""
    exec(SEED_3, {})
    info = default_registry.get("transform_data")
    assert info.is_async and info.tags == ("etl", "transform")
    assert default_registry.get("extract_data").is_async is False


def test_seed_planner_example(default_registry: TaskRegistry) -> None:
    """Seed example 4 prints the order and levels the seed documents."""
    ns: dict[str, object] = {}
    exec(SEED_4, ns)
    plan = ns["plan"]
    assert plan.execution_order == ["extract", "transform", "load"]  # type: ignore[attr-defined]
    assert plan.parallel_levels == [["extract"], ["transform"], ["load"]]  # type: ignore[attr-defined]
    assert ns["completed"] == {"extract", "transform", "load"}


def test_seed_io_manager_example(tmp_path: Path) -> None:
    """Seed example 5 saves, loads, lists and clears with the seed's keyword names."""
    ns: dict[str, object] = {"BASE": str(tmp_path), "data_generator": lambda: iter([[1], [2], [3]])}
    exec(SEED_5, ns)
    assert ns["loaded_data"] == {"processed": [1, 2, 3, 4, 5], "count": 5}
    assert ns["results"] == ["chunk_0", "chunk_1", "chunk_2"]
    assert ns["deleted_count"] == 4
    assert str(ns["path"]).endswith("run_20250115_001/extract_data/result_001.pkl")


def test_seed_advanced_metadata_example(default_registry: TaskRegistry) -> None:
    """Seed example 6 registers a fail-safe retrying task and a streaming generator task."""
    exec(SEED_6, {})
    resilient = default_registry.get("resilient_task")
    assert (resilient.max_retries, resilient.fail_safe, resilient.timeout) == (3, True, 60)
    streaming = default_registry.get("streaming_task")
    assert streaming.stream_output and streaming.is_generator and streaming.timeout == 300
