"""Planner: select tasks, check the DAG (unknown deps, cycles, schemas) and order it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rfs.pipeline.kinds import InputMode
from rfs.pipeline.registry import TaskInfo, TaskRegistry, get_registry
from rfs.pipeline.schemas import describe, input_mode, is_compatible

__all__ = [
    "DAG",
    "CycleError",
    "DataInput",
    "ExecutionPlan",
    "PlanError",
    "Planner",
    "SchemaMismatchError",
    "UnknownDependencyError",
    "get_planner",
]


class PlanError(ValueError):
    """A pipeline that cannot run; ``problems`` lists every reason found, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        head = "pipeline cannot be planned" if len(problems) > 1 else "pipeline cannot be planned:"
        body = "\n  - ".join(problems)
        super().__init__(f"{head}\n  - {body}" if len(problems) > 1 else f"{head} {body}")


class UnknownDependencyError(PlanError):
    """A task depends on (or a selection names) a task that is not registered."""


def _cycle_line(path: list[str]) -> str:
    return f"dependency cycle: {' → '.join(path)}"


class CycleError(PlanError):
    """The dependencies form a cycle; the message shows it as a path ``a → b → a``.

    ``problems`` also lists the schema mismatches found beside the cycle, if any.
    """

    def __init__(self, path: list[str], others: list[str] | None = None) -> None:
        self.path = path
        super().__init__([_cycle_line(path), *(others or [])])


class SchemaMismatchError(PlanError):
    """An upstream output type does not fit the parameter that receives it."""


@dataclass(frozen=True)
class DataInput:
    """A parameter fed by an upstream task's output."""

    upstream: str
    mode: InputMode  # how a stream is handed over; VALUE for single outputs


@dataclass(frozen=True)
class DAG:
    """Tasks and their edges, restricted to one plan."""

    nodes: dict[str, TaskInfo]
    upstream: dict[str, tuple[str, ...]]
    downstream: dict[str, tuple[str, ...]]
    #: task -> parameter -> upstream output it receives (data dependencies only)
    data_inputs: dict[str, dict[str, DataInput]]

    def edges(self) -> list[tuple[str, str]]:
        """(upstream, downstream) pairs, sorted."""
        return sorted((u, t) for t, ups in self.upstream.items() for u in ups)

    def is_data_edge(self, upstream: str, task: str) -> bool:
        return any(d.upstream == upstream for d in self.data_inputs.get(task, {}).values())


@dataclass(frozen=True)
class ExecutionPlan:
    """A checked DAG with a deterministic order, parallel levels and a content hash."""

    execution_order: list[str]
    parallel_levels: list[list[str]]
    dag: DAG
    dag_id: str
    registry: TaskRegistry = field(repr=False, compare=False)

    @property
    def tasks(self) -> dict[str, TaskInfo]:
        return self.dag.nodes

    def __len__(self) -> int:
        return len(self.execution_order)

    def to_mermaid(self) -> str:
        """A Mermaid flowchart (``graph TD``); dashed edges are control-only dependencies."""
        ids = {name: f"t{i}" for i, name in enumerate(self.execution_order)}
        lines = ["graph TD"]
        for name in self.execution_order:
            info = self.dag.nodes[name]
            label = name + (" (stream)" if info.is_stream else "")
            lines.append(f'    {ids[name]}["{label}"]')
        for up, down in self.dag.edges():
            arrow = "-->" if self.dag.is_data_edge(up, down) else "-.->"
            lines.append(f"    {ids[up]} {arrow} {ids[down]}")
        return "\n".join(lines)

    def to_dot(self) -> str:
        """A Graphviz digraph; dashed edges are control-only dependencies."""
        lines = [f'digraph "{self.dag_id}" {{', "    rankdir=LR;"]
        lines += [f'    "{name}";' for name in self.execution_order]
        for up, down in self.dag.edges():
            style = "" if self.dag.is_data_edge(up, down) else " [style=dashed]"
            lines.append(f'    "{up}" -> "{down}"{style};')
        lines.append("}")
        return "\n".join(lines)


class Planner:
    """Builds :class:`ExecutionPlan` objects from a registry; ``get_planner()`` gives one."""

    def __init__(self, registry: TaskRegistry | None = None) -> None:
        self.registry = registry if registry is not None else get_registry()

    def create_execution_plan(
        self,
        tags: Iterable[str] | None = None,
        tasks: Iterable[str] | None = None,
        targets: Iterable[str] | None = None,
    ) -> ExecutionPlan:
        """Plan the selected tasks plus everything upstream of them.

        With no selection, every registered task. ``tags`` selects tasks having any of the
        tags, ``tasks`` names tasks, ``targets`` names tasks to produce; the three combine as a
        union. Raises :class:`PlanError` (unknown names, a cycle, schema mismatches: all
        mismatches at once) before anything runs.
        """
        registry = self.registry
        problems: list[str] = []
        if tags is None and tasks is None and targets is None:
            seeds = registry.names()
        else:
            seeds = [t.name for t in registry.list(tags=tags)] if tags is not None else []
            for kind, names in (("tasks", tasks), ("targets", targets)):
                for name in names or ():
                    if name in registry:
                        seeds.append(name)
                    else:
                        problems.append(f"{kind}= names {name!r}, which is not a registered task")
        nodes = self._closure(seeds, problems)
        levels, stuck = _levels(nodes)
        order = [name for level in levels for name in level]
        cycle = _find_cycle(nodes, stuck) if stuck else None
        data_inputs, mismatches = _data_inputs(nodes, [*order, *sorted(stuck)])
        # every problem at once, under the class of the first kind found
        if problems:
            extra = [_cycle_line(cycle)] if cycle is not None else []
            raise UnknownDependencyError([*problems, *extra, *mismatches])
        if cycle is not None:
            raise CycleError(cycle, mismatches)
        if mismatches:
            raise SchemaMismatchError(mismatches)
        upstream = {name: tuple(sorted(nodes[name].dependencies)) for name in order}
        down: dict[str, list[str]] = {name: [] for name in order}
        for name in order:
            for dep in upstream[name]:
                down[dep].append(name)
        dag = DAG(
            nodes={name: nodes[name] for name in order},
            upstream=upstream,
            downstream={name: tuple(sorted(v)) for name, v in down.items()},
            data_inputs=data_inputs,
        )
        return ExecutionPlan(order, levels, dag, _dag_id(dag), registry)

    def _closure(self, seeds: list[str], problems: list[str]) -> dict[str, TaskInfo]:
        nodes: dict[str, TaskInfo] = {}
        stack = list(dict.fromkeys(seeds))
        find = self.registry.find
        while stack:
            name = stack.pop()
            if name in nodes:
                continue
            info = find(name)
            if info is None:
                continue
            nodes[name] = info
            for dep in info.dependencies:
                if dep in nodes:
                    continue
                if find(dep) is None:
                    problems.append(
                        f"task {name!r} depends on {dep!r}, which is not a registered task "
                        f"({info.defined_at})"
                    )
                else:
                    stack.append(dep)
        return nodes


def _levels(nodes: Mapping[str, TaskInfo]) -> tuple[list[list[str]], set[str]]:
    """Kahn's algorithm by levels, names sorted in each level; also the tasks left on cycles.

    Dependencies outside ``nodes`` (unknown tasks, reported on their own) are ignored.
    """
    children: dict[str, list[str]] = {name: [] for name in nodes}
    remaining: dict[str, int] = {}
    for name, info in nodes.items():
        count = 0
        for dep in info.dependencies:
            kids = children.get(dep)
            if kids is not None:
                kids.append(name)
                count += 1
        remaining[name] = count
    level = sorted(name for name, count in remaining.items() if count == 0)
    levels: list[list[str]] = []
    placed = 0
    while level:
        levels.append(level)
        placed += len(level)
        nxt = []
        for name in level:
            for child in children[name]:
                remaining[child] -= 1
                if remaining[child] == 0:
                    nxt.append(child)
        level = sorted(nxt)
    stuck = {n for n, c in remaining.items() if c > 0} if placed != len(nodes) else set()
    return levels, stuck


def _find_cycle(nodes: Mapping[str, TaskInfo], stuck: set[str]) -> list[str]:
    """A cycle among ``stuck`` as a path in run order, first node repeated at the end.

    Every stuck task depends on another stuck one (else Kahn's algorithm would have placed
    it), so following the smallest stuck dependency must come back to a visited task.
    """
    start = min(stuck)
    path: list[str] = []
    seen: dict[str, int] = {}
    node = start
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = min(d for d in nodes[node].dependencies if d in stuck)
    cycle = path[seen[node] :]
    cycle.reverse()  # dependencies point upstream; show the order tasks would run in
    first = cycle.index(min(cycle))
    cycle = cycle[first:] + cycle[:first]
    return [*cycle, cycle[0]]


def _data_pairs(info: TaskInfo, nodes: Mapping[str, TaskInfo]) -> list[tuple[str, str]]:
    """(parameter, upstream task) pairs that carry data into ``info``'s task.

    A parameter named after a dependency receives its output. Failing any such match, a task
    with exactly one dependency and exactly one required parameter named after no task
    receives that dependency's output there (the dp-poc seed's ``transform(data)`` style).
    """
    params = info.parameters
    pairs = [(d, d) for d in info.dependencies if d in params and d in nodes]
    if not pairs and len(info.dependencies) == 1 and info.dependencies[0] in nodes:
        free = [p for p, has_default in info.parameters.items() if not has_default]
        if len(free) == 1 and free[0] not in nodes:
            pairs.append((free[0], info.dependencies[0]))
    return pairs


def _data_inputs(
    nodes: Mapping[str, TaskInfo], order: list[str]
) -> tuple[dict[str, dict[str, DataInput]], list[str]]:
    data: dict[str, dict[str, DataInput]] = {}
    mismatches: list[str] = []
    for name in order:
        info = nodes[name]
        inputs: dict[str, DataInput] = {}
        for param, dep in _data_pairs(info, nodes):
            up = nodes[dep]
            want = info.param_type(param)
            if up.is_stream:
                mode, want_item = input_mode(want)
                got = up.output_item_type
                if mode is InputMode.VALUE:
                    mismatches.append(
                        f"task {name!r} parameter {param!r} expects {describe(want)}, but upstream "
                        f"{dep!r} is a stream of {describe(got)} (annotate it Iterator[...], "
                        "AsyncIterator[...] or list[...])"
                    )
                elif not is_compatible(got, want_item):
                    mismatches.append(
                        f"task {name!r} parameter {param!r} expects items of "
                        f"{describe(want_item)}, but upstream {dep!r} streams {describe(got)}"
                    )
                inputs[param] = DataInput(dep, mode)
            else:
                got = up.return_type
                if got is not want and not is_compatible(got, want):
                    mismatches.append(
                        f"task {name!r} parameter {param!r} expects {describe(want)}, "
                        f"but upstream {dep!r} returns {describe(got)}"
                    )
                inputs[param] = DataInput(dep, InputMode.VALUE)
        data[name] = inputs
    return data, mismatches


def _dag_id(dag: DAG) -> str:
    """Content hash of names, edges and run-relevant metadata (same structure, same id)."""
    lines = []
    for name, info in dag.nodes.items():
        lines.append(
            f"{name}\x1f{','.join(dag.upstream[name])}\x1f{','.join(sorted(dag.data_inputs[name]))}"
            f"\x1f{','.join(sorted(info.tags))}\x1f{info.kind.value}\x1f{info.max_retries}"
            f"\x1f{info.fail_safe}\x1f{info.stream_output}\x1f{info.timeout}"
        )
    lines.sort()
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def get_planner(registry: TaskRegistry | None = None) -> Planner:
    """A planner over ``registry`` (the default registry when omitted)."""
    return Planner(registry)
