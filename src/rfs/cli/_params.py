"""``--param name=value`` and ``--params-file``: task arguments from the command line.

``task.param=value`` gives one task's parameter, ``param=value`` every planned task having a
parameter of that name. Values are parsed by the parameter's annotation (``int``, ``float``,
``bool``, ``list[int]``... through pydantic); a file holds ``{"task": {"param": value}}``
as JSON or TOML.
"""

from __future__ import annotations

import inspect
import json
import tomllib
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rfs.cli._common import UserError

if TYPE_CHECKING:
    from rfs.pipeline.planner import ExecutionPlan

__all__ = ["parse_params"]

Params = dict[str, dict[str, Any]]


def _annotation(plan: ExecutionPlan, task: str, param: str) -> Any:
    func = plan.dag.nodes[task].func
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # unresolvable hints: take the value as given
        hints = {}
    hint = hints.get(param)
    if hint is None:
        raw = inspect.signature(func).parameters[param].annotation
        hint = Any if raw is inspect.Parameter.empty or isinstance(raw, str) else raw
    return hint


def _convert(plan: ExecutionPlan, task: str, param: str, value: Any, *, text: bool) -> Any:
    from pydantic import TypeAdapter, ValidationError

    hint = _annotation(plan, task, param)
    if hint is Any:
        return value
    adapter: TypeAdapter[Any] = TypeAdapter(hint)
    try:
        if text and hint is not str:
            try:
                return adapter.validate_json(value)
            except ValidationError:
                return adapter.validate_strings(value)
        return adapter.validate_python(value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise UserError(
            f"{task}.{param}={value!r} is not a valid {getattr(hint, '__name__', hint)}: {problem}",
            "pass a value of the parameter's type",
        ) from None


def _tasks_with(plan: ExecutionPlan, param: str) -> list[str]:
    return [n for n in plan.execution_order if param in plan.dag.nodes[n].parameters]


def _read_file(path: str) -> Any:
    file = Path(path)
    if not file.is_file():
        raise UserError(f"no params file {path}", "check the path")
    try:
        if file.suffix == ".toml":
            return tomllib.loads(file.read_text())
        return json.loads(file.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(
            f"cannot read {path}: {exc}", "write JSON, or TOML in a .toml file"
        ) from None


def _check_task(plan: ExecutionPlan, task: str, param: str, source: str) -> None:
    if task not in plan.dag.nodes:
        raise UserError(f"{source}: no task {task!r} in the plan", "check the task name")
    if param not in plan.dag.nodes[task].parameters:
        known = ", ".join(plan.dag.nodes[task].parameters) or "none"
        raise UserError(f"{source}: task {task!r} has no parameter {param!r}", f"use: {known}")


def parse_params(plan: ExecutionPlan, pairs: list[str], params_file: str | None) -> Params:
    """The ``params=`` mapping of ``run_pipeline`` from a params file, then ``--param`` pairs."""
    params: Params = {}
    if params_file:
        data = _read_file(params_file)
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise UserError(
                f"{params_file} is not a table of tasks", 'write {"task": {"param": value}}'
            )
        for task, values in data.items():
            for param, value in values.items():
                _check_task(plan, task, param, params_file)
                converted = _convert(plan, task, param, value, text=False)
                params.setdefault(task, {})[param] = converted
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UserError(f"--param {pair!r} is not name=value", "write --param task.name=value")
        task, dot, param = name.rpartition(".")
        if dot:
            _check_task(plan, task, param, f"--param {pair}")
            tasks = [task]
        else:
            tasks = _tasks_with(plan, param)
            if not tasks:
                raise UserError(
                    f"--param {pair}: no planned task has a parameter {param!r}",
                    "check the name, or write task.param=value",
                )
        for t in tasks:
            params.setdefault(t, {})[param] = _convert(plan, t, param, value, text=True)
    return params
