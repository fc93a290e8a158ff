"""A task with one dependency and one free parameter receives its output there (seed style)."""

from __future__ import annotations

import pytest

from rfs.pipeline import (
    MemoryIOManager,
    MemoryRunStore,
    PlanError,
    Planner,
    TaskRegistry,
    run_pipeline,
)


async def test_seed_style_transform_receives_its_only_dependency(
    registry: TaskRegistry, io: MemoryIOManager, store: MemoryRunStore
) -> None:
    """Seed 002's ``transform_data(data)`` after ``extract_data`` gets extract_data's output."""

    @registry.task(name="extract_data", tags=["etl"])
    def extract_data() -> dict[str, list[int]]:
        return {"data": [1, 2, 3, 4, 5]}

    @registry.task(name="transform_data", tags=["etl"], dependencies=["extract_data"])
    async def transform_data(data: dict[str, list[int]]) -> list[int]:
        return [x * 2 for x in data["data"]]

    plan = Planner(registry).create_execution_plan(tags=["etl"])
    assert plan.dag.is_data_edge("extract_data", "transform_data")
    run = (await run_pipeline(plan, io_manager=io, run_store=store)).unwrap()
    assert run.output("transform_data") == [2, 4, 6, 8, 10]


def test_named_parameter_wins_over_the_single_input_rule(registry: TaskRegistry) -> None:
    """When a parameter is named after a dependency, other parameters are not fed."""

    @registry.task
    def a() -> int:
        return 1

    @registry.task(dependencies=["a"])
    def b(a: int, factor: int = 2) -> int:
        return a * factor

    plan = Planner(registry).create_execution_plan()
    assert set(plan.dag.data_inputs["b"]) == {"a"}


def test_two_free_parameters_are_not_guessed(registry: TaskRegistry) -> None:
    """With two required parameters and no name match, nothing is fed (control flow only)."""

    @registry.task
    def a() -> int:
        return 1

    @registry.task(dependencies=["a"])
    def b(x: int, y: int) -> int:
        return x + y

    plan = Planner(registry).create_execution_plan()
    assert plan.dag.data_inputs["b"] == {}
    assert not plan.dag.is_data_edge("a", "b")


def test_single_input_type_mismatch_names_the_parameter(registry: TaskRegistry) -> None:
    """A mismatch through the single-input rule names the parameter and both types."""

    @registry.task
    def a() -> str:
        return "text"

    @registry.task(dependencies=["a"])
    def b(data: int) -> int:
        return data

    with pytest.raises(PlanError) as info:
        Planner(registry).create_execution_plan()
    message = str(info.value)
    assert "parameter 'data'" in message and "'a' returns" in message
