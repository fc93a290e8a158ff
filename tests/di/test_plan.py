"""Resolution plans: compiled once per binding; cycle detection agrees with graph theory."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rfs.di.plan as plan_module
from rfs.di import CircularDependencyError, ContainerValidationError, Registry


def make_classes(edges: dict[int, list[int]], n: int) -> list[type]:
    """Class i's constructor takes one parameter per edge i -> j, typed with class j."""
    classes: list[type] = [type(f"C{i}", (), {}) for i in range(n)]
    for i, targets in edges.items():
        if not targets:
            continue
        names = [f"d{k}" for k in range(len(targets))]

        params = ", ".join(names)
        namespace: dict[str, Any] = {}
        exec(f"def __init__(self, {params}): self.deps = ({params},)", namespace)
        func = namespace["__init__"]
        func.__annotations__ = {name: classes[j] for name, j in zip(names, targets, strict=True)}
        classes[i].__init__ = func  # type: ignore[misc]
    return classes


def has_cycle(edges: dict[int, list[int]], n: int) -> bool:
    state = [0] * n

    def visit(v: int) -> bool:
        state[v] = 1
        for w in edges.get(v, []):
            if state[w] == 1 or (state[w] == 0 and visit(w)):
                return True
        state[v] = 2
        return False

    return any(state[v] == 0 and visit(v) for v in range(n))


graphs = st.integers(min_value=1, max_value=8).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.dictionaries(
            st.integers(0, n - 1),
            st.lists(st.integers(0, n - 1), max_size=3, unique=True),
        ),
    )
)


@settings(max_examples=60, deadline=None)
@given(graphs)
def test_validate_reports_a_cycle_exactly_when_the_graph_has_one(
    graph: tuple[int, dict[int, list[int]]],
) -> None:
    """For random dependency graphs, validate() fails with a cycle iff one exists."""
    n, edges = graph
    classes = make_classes(edges, n)
    registry = Registry()
    for cls in classes:
        registry.register(cls, scope="prototype")
    if has_cycle(edges, n):
        with pytest.raises(ContainerValidationError) as info:
            registry.validate()
        assert all(isinstance(e, CircularDependencyError) for e in info.value.errors)
        for error in info.value.errors:
            assert error.chain[0] == error.chain[-1]
    else:
        registry.validate()
        for i, cls in enumerate(classes):
            obj = registry.resolve(cls)
            deps = getattr(obj, "deps", ())
            assert [type(d) for d in deps] == [classes[j] for j in edges.get(i, [])]


def test_plans_are_compiled_once_per_binding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Type hints are read once per class, however many times the graph is resolved."""
    calls: list[Any] = []
    original = plan_module.read_params

    def counting(target: Any, names: Any) -> Any:
        calls.append(target)
        return original(target, names)

    monkeypatch.setattr(plan_module, "read_params", counting)
    classes = make_classes({0: [1], 1: [2]}, 3)
    registry = Registry()
    for cls in classes:
        registry.register(cls, scope="prototype")
    for _ in range(100):
        registry.resolve(classes[0])
    assert sorted(c.__name__ for c in calls) == ["C0", "C1", "C2"]


def test_singleton_hit_runs_no_python_code() -> None:
    """Once made, a singleton is served by ``resolve`` and ``get`` without one Python call."""
    registry = Registry()

    class Config:
        pass

    registry.register(Config)
    first = registry.resolve(Config)
    calls: list[str] = []

    def profiler(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call":  # a Python function started (C calls are "c_call")
            calls.append(frame.f_code.co_qualname)

    sys.setprofile(profiler)
    try:
        again, got = registry.resolve(Config), registry.get(Config)
    finally:
        sys.setprofile(None)
    assert again is first and got is first
    assert calls == []
