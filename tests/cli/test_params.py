"""``--param``/``--params-file`` parsing: values typed by the annotation, every mistake a
UserError naming it (in-process, so hypothesis can drive it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.cli._common import UserError
from rfs.cli._params import parse_params
from rfs.pipeline import Planner, TaskRegistry
from rfs.pipeline.planner import ExecutionPlan


def _plan() -> ExecutionPlan:
    registry = TaskRegistry()

    @registry.task
    def load(
        size: int, ratio: float, dry: bool, ids: list[int], label: str, raw: Any = None
    ) -> int:
        return size

    @registry.task(dependencies=["load"])
    def report(load: int, label: str = "x") -> str:
        return label

    return Planner(registry).create_execution_plan()


PLAN = _plan()


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(-(10**12), 10**12),
    ratio=st.floats(allow_nan=False, allow_infinity=False),
    dry=st.booleans(),
    ids=st.lists(st.integers(-1000, 1000), max_size=5),
    label=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
)
def test_values_are_typed_by_the_annotation(
    size: int, ratio: float, dry: bool, ids: list[int], label: str
) -> None:
    """``task.name=text`` reaches the task as the annotated type; a str stays verbatim."""
    pairs = [
        f"load.size={size}",
        f"load.ratio={json.dumps(ratio)}",
        f"load.dry={json.dumps(dry)}",
        f"load.ids={json.dumps(ids)}",
        f"load.label={label}",
    ]
    params = parse_params(PLAN, pairs, None)
    assert params == {
        "load": {"size": size, "ratio": ratio, "dry": dry, "ids": ids, "label": label}
    }


def test_a_bare_name_goes_to_every_task_having_it_and_pairs_override_the_file(
    tmp_path: Path,
) -> None:
    """``label=v`` sets both tasks' ``label``; a JSON or TOML file is read first and
    ``--param`` wins over it."""
    assert parse_params(PLAN, ["label=hi"], None) == {
        "load": {"label": "hi"},
        "report": {"label": "hi"},
    }
    (tmp_path / "p.json").write_text('{"load": {"size": 3, "raw": [1, "a"]}}')
    (tmp_path / "p.toml").write_text("[load]\nsize = 3\nraw = [1, 'a']\n")
    for name in ("p.json", "p.toml"):
        params = parse_params(PLAN, ["load.size=4"], str(tmp_path / name))
        assert params == {"load": {"size": 4, "raw": [1, "a"]}}  # Any: as given


@pytest.mark.parametrize(
    ("pairs", "content", "words"),
    [
        (["size"], None, ["'size' is not name=value"]),
        (["=3"], None, ["not name=value"]),
        (["ghost.size=1"], None, ["no task 'ghost'"]),
        (["load.colour=red"], None, ["no parameter 'colour'", "size"]),
        (["colour=red"], None, ["no planned task has a parameter 'colour'"]),
        (["load.size=big"], None, ["load.size='big' is not a valid int"]),
        (["load.ids=[1,x]"], None, ["load.ids="]),
        ([], "[1, 2]", ["not a table of tasks"]),
        ([], '{"load": 3}', ["not a table of tasks"]),
        ([], "{not json", ["cannot read"]),
        ([], '{"load": {"size": "big"}}', ["is not a valid int"]),
        ([], '{"ghost": {"size": 1}}', ["no task 'ghost'"]),
    ],
)
def test_mistakes_are_user_errors_naming_them(
    tmp_path: Path, pairs: list[str], content: str | None, words: list[str]
) -> None:
    """Each mistake is a UserError whose one line names what is wrong."""
    path = None
    if content is not None:
        path = tmp_path / "params.json"
        path.write_text(content)
    with pytest.raises(UserError) as error:
        parse_params(PLAN, pairs, None if path is None else str(path))
    for word in words:
        assert word in str(error.value)


def test_a_missing_params_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no params file"):
        parse_params(PLAN, [], str(tmp_path / "absent.toml"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=4))
def test_any_pairs_parse_or_are_a_user_error(pairs: list[str]) -> None:
    """Fuzzed ``--param`` values never escape as anything but a UserError."""
    try:
        params = parse_params(PLAN, pairs, None)
    except UserError:
        return
    assert set(params) <= {"load", "report"}
