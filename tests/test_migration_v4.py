"""Each v4 difference of docs/migrating-from-rfs-v4.md, run on RFS and on rfs-framework 4.6.

A row's snippet sets ``out``; an exception becomes ``"raises <Name>"``. The RFS outcome is
checked in this process; the v4 outcome in a subprocess over the rfs-framework 4.6.6 copy
that ``python -m benchmarks result`` installs in ``.bench-peers/`` (skipped without it).
The caller's one-line change must give the same outcome on both where v4 can run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

V4_DIR = Path(__file__).resolve().parents[1] / ".bench-peers" / "rfs_v4"

# name: (snippet, v4 outcome, RFS outcome, change, outcome of the change)
ROWS: dict[str, tuple[str, str, str, str | None, str]] = {
    "map_catches": (
        "out = type(Success(1).map(lambda x: 1 / 0)).__name__",
        "Failure",
        "raises ZeroDivisionError",
        "out = Success(1).bind(result_decorator(lambda x: 1 / 0)).is_failure()",
        "True",
    ),
    "maybe_map_catches": (
        "out = Maybe.some(1).map(lambda x: 1 / 0).is_none()",
        "True",
        "raises ZeroDivisionError",
        "out = Maybe.some(1).map(lambda x: x + 1).get()",
        "2",
    ),
    "bool": (
        'out = bool(Failure("e"))',
        "True",
        "raises TypeError",
        'out = Failure("e").is_success()',
        "False",
    ),
    "unwrap_reraises": (
        'Failure(KeyError("k")).unwrap()',
        "raises KeyError",
        "raises UnwrapError",
        None,
        "",
    ),
    "unwrap_value_error": (
        'Failure("x").unwrap()',
        "raises ValueError",
        "raises UnwrapError",
        'try:\n    Failure("x").unwrap()\nexcept ValueError as e:\n    out = str(e)',
        "Failure unwrap: x",
    ),
    "hash": (
        "out = len({Success(1), Success(1)})",
        "raises TypeError",
        "1",
        "out = len([Success(1), Success(1)])",
        "2",
    ),
    "maybe_equality": (
        "out = Maybe.some(1) == Maybe.some(1)",
        "False",
        "True",
        "out = Maybe.some(1).get() == Maybe.some(1).get()",
        "True",
    ),
    "mutable": (
        "s = Success(1)\ns.value = 2\nout = s.value",
        "2",
        "raises AttributeError",
        "s = Success(2)\nout = s.value",
        "2",
    ),
    "match": (
        "match Success(1):\n    case Success(v):\n        out = v",
        "raises TypeError",
        "1",
        "match Success(1):\n    case Success() as s:\n        out = s.value",
        "1",
    ),
    "eq_by_name": (
        "class Success_:\n    value = 1\n"
        "Success_.__name__ = 'Success'\nout = Success(1) == Success_()",
        "True",
        "False",
        None,
        "",
    ),
    "repr": (
        'out = repr(Success("a"))',
        "Success(a)",
        "Success('a')",
        'out = str(Success("a"))',
        "Success(a)",
    ),
    "timeout": (
        "async def main():\n"
        "    async def slow():\n"
        "        await asyncio.sleep(5)\n"
        "    r = await MonoResult.from_async_result(slow).timeout(0.01).to_result()\n"
        "    return type(r.unwrap_error()).__name__\n"
        "out = asyncio.run(main())",
        "str",
        "OperationTimeoutError",
        "async def main():\n"
        "    async def slow():\n"
        "        await asyncio.sleep(5)\n"
        "    r = await MonoResult.from_async_result(slow).timeout(0.01).to_result()\n"
        "    return 'timed out' in str(r.unwrap_error())\n"
        "out = asyncio.run(main())",
        "True",
    ),
    "mock_label": (
        'with mock_result_service("no_such_service_v4", "get") as m:\n'
        '    out = type(m.get_mock("get")).__name__',
        "Mock",
        "raises LookupError",
        None,
        "",
    ),
    "assert_error_type": (
        "assert_result_error(Failure(KeyError('k')), KeyError)\nout = 'passed'",
        "raises AssertionError",
        "passed",
        "assert_result_error(Failure('k'), 'k')\nout = 'passed'",
        "passed",
    ),
}

# v4 has no patch=False; RFS's one-line change for the rows whose change v4 cannot run.
RFS_ONLY_CHANGES = {
    "unwrap_reraises": (
        'try:\n    Failure(KeyError("k")).unwrap()\nexcept UnwrapError as e:\n'
        "    out = type(e.__cause__).__name__",
        "KeyError",
    ),
    "mock_label": (
        'with mock_result_service("no_such_service_v4", "get", patch=False) as m:\n'
        '    out = type(m.get_mock("get")).__name__',
        "Mock",
    ),
}

PRELUDE = """
import asyncio
from rfs.core.result import Failure, Maybe, Success, result_decorator
from rfs.reactive.mono_result import MonoResult
from rfs.testing.result_helpers import assert_result_error, mock_result_service
"""

RUNNER = """
import contextlib, io, json, sys
snippets = json.loads(sys.stdin.read())
with contextlib.redirect_stdout(io.StringIO()):
    exec(PRELUDE, namespace := {})
outcomes = {}
for name, code in snippets.items():
    scope = dict(namespace)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(code, scope)
        outcomes[name] = str(scope.get("out"))
    except BaseException as exc:
        outcomes[name] = "raises " + type(exc).__name__
print(json.dumps(outcomes))
"""


def run_here(code: str) -> str:
    namespace: dict[str, Any] = {}
    exec(PRELUDE + "\nfrom rfs.core.result import UnwrapError\n", namespace)
    try:
        exec(textwrap.dedent(code), namespace)
    except BaseException as exc:
        return "raises " + type(exc).__name__
    return str(namespace.get("out"))


@pytest.mark.parametrize("name", list(ROWS))
def test_rfs_behaviour_and_change(name: str) -> None:
    """On RFS each snippet gives the documented outcome, and the change gives its outcome."""
    snippet, _, ours, change, changed = ROWS[name]
    assert run_here(snippet) == ours
    if change is not None:
        assert run_here(change) == changed
    if name in RFS_ONLY_CHANGES:
        code, expected = RFS_ONLY_CHANGES[name]
        assert run_here(code) == expected


def test_v4_behaviour_and_change() -> None:
    """On rfs-framework 4.6.6 each snippet gives v4's documented outcome, and so do the changes."""
    if not (V4_DIR / "rfs").exists():
        pytest.skip(
            "rfs-framework 4.6.6 not installed in .bench-peers (python -m benchmarks result)"
        )
    snippets = {name: row[0] for name, row in ROWS.items()}
    snippets.update({f"{name}/change": row[3] for name, row in ROWS.items() if row[3]})
    script = f"PRELUDE = {PRELUDE!r}\n{RUNNER}"
    run = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(snippets),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(V4_DIR)},
        cwd="/",
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    outcomes = json.loads(run.stdout.strip().splitlines()[-1])
    for name, (_, v4, _, change, changed) in ROWS.items():
        assert outcomes[name] == v4, name
        if change is not None:
            assert outcomes[f"{name}/change"] == changed, name


def test_docs_table_lists_every_row() -> None:
    """The migration page's differences table has a row per tested difference."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "migrating-from-rfs-v4.md").read_text()
    for phrase in [
        "bool(result)",
        "UnwrapError",
        "__hash__",
        "immutable",
        "__match_args__",
        "class *names*",
        "repr(",
        "OperationTimeoutError",
        "patch=False",
        "assert_result_error",
        "Maybe.map",
    ]:
        assert phrase in page, phrase
