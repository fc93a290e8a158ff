"""Property tests: any acyclic graph plans to a valid order; any cycle is found as a path;
injected faults (unknown dependencies, a cycle) are all reported in one error."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.pipeline import CycleError, PlanError, Planner, TaskRegistry, UnknownDependencyError


@st.composite
def dags(draw: st.DrawFn) -> dict[str, list[str]]:
    """A random DAG: task i may depend on any task with a smaller index."""
    n = draw(st.integers(1, 25))
    deps = {}
    for i in range(n):
        ups = draw(st.sets(st.integers(0, i - 1), max_size=4)) if i else set()
        deps[f"t{i}"] = [f"t{j}" for j in sorted(ups)]
    return deps


def _registry(deps: dict[str, list[str]], order: list[str]) -> TaskRegistry:
    registry = TaskRegistry()
    for name in order:
        registry.task(lambda: None, name=name, dependencies=deps[name])
    return registry


@settings(max_examples=60, deadline=None)
@given(dags(), st.randoms())
def test_plan_is_topological_and_deterministic(
    deps: dict[str, list[str]], rnd: random.Random
) -> None:
    """Every task comes after its upstreams, levels are minimal, and registration order
    changes neither the order nor the dag_id."""
    names = list(deps)
    plan = Planner(_registry(deps, names)).create_execution_plan()
    position = {name: i for i, name in enumerate(plan.execution_order)}
    assert sorted(position) == sorted(names)
    level_of = {n: i for i, level in enumerate(plan.parallel_levels) for n in level}
    for name, ups in deps.items():
        for up in ups:
            assert position[up] < position[name]
            assert level_of[up] < level_of[name]
        expected = 1 + max((level_of[u] for u in ups), default=-1)
        assert level_of[name] == expected
    shuffled = names[:]
    rnd.shuffle(shuffled)
    again = Planner(_registry(deps, shuffled)).create_execution_plan()
    assert again.execution_order == plan.execution_order
    assert again.dag_id == plan.dag_id


@settings(max_examples=60, deadline=None)
@given(dags(), st.data())
def test_any_back_edge_is_reported_as_a_real_cycle(
    deps: dict[str, list[str]], data: st.DataObject
) -> None:
    """Adding an edge from an upstream task back to a descendant yields a CycleError whose
    path follows real dependency edges and returns to its start."""
    names = list(deps)
    if len(names) < 2:
        return
    i = data.draw(st.integers(0, len(names) - 2))
    j = data.draw(st.integers(i + 1, len(names) - 1))
    # make t_j depend (transitively) on t_i, then t_i depend on t_j
    deps[names[j]] = sorted({*deps[names[j]], names[i]})
    deps[names[i]] = sorted({*deps[names[i]], names[j]})
    try:
        Planner(_registry(deps, names)).create_execution_plan()
    except CycleError as err:
        path = err.path
        assert path[0] == path[-1] and len(path) >= 3
        for before, after in itertools.pairwise(path):
            assert before in deps[after]  # `after` depends on `before`
    else:
        raise AssertionError("cycle not detected")


@settings(max_examples=80, deadline=None)
@given(dags(), st.data())
def test_every_injected_fault_is_reported_at_once(
    deps: dict[str, list[str]], data: st.DataObject
) -> None:
    """Unknown dependencies and a cycle injected into a random DAG are each reported, together,
    in one PlanError (UnknownDependencyError when any dependency is unknown)."""
    names = list(deps)
    broken = data.draw(st.sets(st.sampled_from(names), max_size=3))
    for name in broken:
        deps[name] = [*deps[name], f"missing_{name}"]
    cycle = len(names) >= 2 and data.draw(st.booleans())
    if cycle:
        i = data.draw(st.integers(0, len(names) - 2))
        j = data.draw(st.integers(i + 1, len(names) - 1))
        deps[names[j]] = sorted({*deps[names[j]], names[i]})
        deps[names[i]] = sorted({*deps[names[i]], names[j]})
    planner = Planner(_registry(deps, names))
    if not broken and not cycle:
        assert len(planner.create_execution_plan()) == len(names)
        return
    with pytest.raises(PlanError) as err:
        planner.create_execution_plan()
    problems = err.value.problems
    for name in broken:
        assert sum(f"depends on 'missing_{name}'" in p for p in problems) == 1
    cycles = [p for p in problems if p.startswith("dependency cycle: ")]
    assert len(cycles) == int(cycle)
    assert len(problems) == len(broken) + int(cycle)
    assert isinstance(err.value, UnknownDependencyError if broken else CycleError)
