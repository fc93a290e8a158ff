"""The planner: selection, order, levels, dag_id, and errors found before anything runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Optional

import pytest

from rfs.pipeline import (
    CycleError,
    Planner,
    SchemaMismatchError,
    TaskRegistry,
    UnknownDependencyError,
)


def _chain(registry: TaskRegistry) -> None:
    registry.task(lambda: 1, name="extract", tags=["etl"])
    registry.task(lambda: 2, name="transform", tags=["etl"], dependencies=["extract"])
    registry.task(lambda: 3, name="load", tags=["etl"], dependencies=["transform"])
    registry.task(lambda: 4, name="report", tags=["report"], dependencies=["extract"])


def test_order_and_levels(registry: TaskRegistry) -> None:
    """The order is topological; each level holds tasks whose upstreams are in earlier levels."""
    _chain(registry)
    plan = Planner(registry).create_execution_plan()
    assert plan.execution_order == ["extract", "report", "transform", "load"]
    assert plan.parallel_levels == [["extract"], ["report", "transform"], ["load"]]
    assert plan.dag.upstream["load"] == ("transform",)
    assert plan.dag.downstream["extract"] == ("report", "transform")


def test_targets_select_upstream_closure(registry: TaskRegistry) -> None:
    """targets= plans the named tasks and everything upstream of them, nothing else."""
    _chain(registry)
    plan = Planner(registry).create_execution_plan(targets=["transform"])
    assert plan.execution_order == ["extract", "transform"]


def test_tags_select_tasks_and_their_upstreams(registry: TaskRegistry) -> None:
    """tags= selects tagged tasks plus the upstream tasks they need."""
    _chain(registry)
    assert Planner(registry).create_execution_plan(tags=["report"]).execution_order == [
        "extract",
        "report",
    ]


def test_dag_id_depends_on_structure_only(registry: TaskRegistry) -> None:
    """The same structure gives the same dag_id in any registration order; edges change it."""
    _chain(registry)
    other = TaskRegistry()
    other.task(lambda: 4, name="report", tags=["report"], dependencies=["extract"])
    other.task(lambda: 3, name="load", tags=["etl"], dependencies=["transform"])
    other.task(lambda: 2, name="transform", tags=["etl"], dependencies=["extract"])
    other.task(lambda: 1, name="extract", tags=["etl"])
    a = Planner(registry).create_execution_plan()
    b = Planner(other).create_execution_plan()
    assert a.dag_id == b.dag_id and a.execution_order == b.execution_order
    registry.task(lambda: 5, name="extra", dependencies=["load"])
    assert Planner(registry).create_execution_plan().dag_id != a.dag_id


def test_cycle_is_reported_as_a_path(registry: TaskRegistry) -> None:
    """A cycle is refused, shown as a → b → c → a."""
    registry.task(lambda: 1, name="a", dependencies=["c"])
    registry.task(lambda: 1, name="b", dependencies=["a"])
    registry.task(lambda: 1, name="c", dependencies=["b"])
    registry.task(lambda: 1, name="d")
    with pytest.raises(CycleError) as err:
        Planner(registry).create_execution_plan()
    assert "a → b → c → a" in str(err.value)
    assert err.value.path == ["a", "b", "c", "a"]


def test_unknown_dependency_names_both(registry: TaskRegistry) -> None:
    """A dependency on an unregistered task names the task and the missing dependency."""
    registry.task(lambda: 1, name="load", dependencies=["transfrom"])
    with pytest.raises(UnknownDependencyError) as err:
        Planner(registry).create_execution_plan()
    assert "'load' depends on 'transfrom'" in str(err.value)


def test_cycle_and_unknown_dependency_are_both_reported(registry: TaskRegistry) -> None:
    """A registry with a cycle and an unknown dependency reports both in one error."""
    registry.task(lambda: 1, name="a", dependencies=["b"])
    registry.task(lambda: 1, name="b", dependencies=["a"])
    registry.task(lambda: 1, name="c", dependencies=["ghost"])
    with pytest.raises(UnknownDependencyError) as err:
        Planner(registry).create_execution_plan()
    assert "'c' depends on 'ghost'" in str(err.value)
    assert "dependency cycle: a → b → a" in str(err.value)
    assert len(err.value.problems) == 2


def test_unknown_target_is_reported(registry: TaskRegistry) -> None:
    """targets= naming an unknown task is refused."""
    with pytest.raises(UnknownDependencyError, match="nope"):
        Planner(registry).create_execution_plan(targets=["nope"])


def test_all_schema_mismatches_reported_at_once(registry: TaskRegistry) -> None:
    """Every mismatch is listed, each naming the parameter and both types."""

    @registry.task
    def a() -> int:
        return 1

    @registry.task
    def s() -> Iterator[str]:
        yield "x"

    @registry.task(dependencies=["a"])
    def b(a: str) -> None: ...

    @registry.task(dependencies=["a", "s"])
    def c(a: list[int], s: Iterator[int]) -> None: ...

    @registry.task(dependencies=["s"])
    def d(s: str) -> None: ...

    with pytest.raises(SchemaMismatchError) as err:
        Planner(registry).create_execution_plan()
    problems = err.value.problems
    assert len(problems) == 4
    assert "task 'b' parameter 'a' expects str, but upstream 'a' returns int" in problems
    assert any("'c' parameter 'a' expects list[int]" in p for p in problems)
    assert any(
        "'c' parameter 's' expects items of int" in p and "streams str" in p for p in problems
    )
    assert any("'d' parameter 's'" in p and "stream of str" in p for p in problems)


class Animal: ...


class Dog(Animal): ...


def _up_and_down(registry: TaskRegistry, produced: Any, wanted: Any) -> None:
    """Register ``up() -> produced`` and ``down(up: wanted)`` depending on it."""

    def up():  # type: ignore[no-untyped-def]
        return None

    up.__annotations__ = {"return": produced}

    def down(up):  # type: ignore[no-untyped-def]
        return up

    down.__annotations__ = {"up": wanted}
    registry.task(up)
    registry.task(down, dependencies=["up"])


@pytest.mark.parametrize(
    ("produced", "wanted"),
    [
        (int, int),
        (int, float),
        (Dog, Animal),
        (list[Dog], Sequence[Animal]),
        (dict[str, int], dict[str, float]),
        (int, Optional[int]),  # noqa: UP045
        (int, int | str),
        (int | None, Any),
        (Any, int),
        (tuple[int, ...], Sequence[int]),
    ],
)
def test_compatible_types_pass(registry: TaskRegistry, produced: Any, wanted: Any) -> None:
    """Subclasses, unions, Optional, Any, numeric widening and generics are accepted."""
    _up_and_down(registry, produced, wanted)
    assert Planner(registry).create_execution_plan().dag.data_inputs["down"]["up"].upstream == "up"


@pytest.mark.parametrize(
    ("produced", "wanted"),
    [
        (str, int),
        (Animal, Dog),
        (list[str], list[int]),
        (int | None, int),
        (dict[str, str], dict[str, int]),
    ],
)
def test_incompatible_types_fail(registry: TaskRegistry, produced: Any, wanted: Any) -> None:
    """Wrong types, superclasses, None into non-Optional and wrong type arguments are refused."""
    _up_and_down(registry, produced, wanted)
    with pytest.raises(SchemaMismatchError):
        Planner(registry).create_execution_plan()


def test_control_dependencies_and_defaults_are_not_checked(registry: TaskRegistry) -> None:
    """A dependency without a parameter of its name is control flow only."""
    registry.task(lambda: "text", name="a")

    def b(limit: int = 3) -> int:
        return limit

    registry.task(b, dependencies=["a"])
    plan = Planner(registry).create_execution_plan()
    assert plan.dag.data_inputs["b"] == {}
    assert not plan.dag.is_data_edge("a", "b")


def test_stream_inputs_pick_a_mode(registry: TaskRegistry) -> None:
    """A stream reaches Iterator params lazily, AsyncIterator params async, list params whole."""

    @registry.task
    def s() -> Iterator[int]:
        yield 1

    @registry.task(dependencies=["s"])
    def it(s: Iterator[int]) -> None: ...

    @registry.task(dependencies=["s"])
    async def ait(s: AsyncIterator[int]) -> None: ...

    @registry.task(dependencies=["s"])
    def lst(s: list[int]) -> None: ...

    plan = Planner(registry).create_execution_plan()
    modes = {n: plan.dag.data_inputs[n]["s"].mode.value for n in ("it", "ait", "lst")}
    assert modes == {"it": "iter", "ait": "aiter", "lst": "list"}


def test_mermaid_and_dot(registry: TaskRegistry) -> None:
    """Renderings show every task and edge; control-only edges are dashed."""
    _chain(registry)
    plan = Planner(registry).create_execution_plan()
    mermaid = plan.to_mermaid()
    assert mermaid.startswith("graph TD") and '["extract"]' in mermaid
    assert mermaid.count("-.->") == 3
    dot = plan.to_dot()
    assert '"extract" -> "transform" [style=dashed];' in dot
