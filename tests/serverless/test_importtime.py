"""Parsing ``-X importtime`` output: real output, generated trees, and garbage."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from _procs import unmeasured_env
from rfs.serverless.importtime import ImportNode, lazy_import_candidates, parse_importtime


def test_real_output_of_an_import() -> None:
    """``import json`` under -X importtime parses to a ``json`` root with its submodules."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import json"],
        capture_output=True,
        text=True,
        check=True,
        env=unmeasured_env(),
    )
    roots = parse_importtime(out.stderr)
    [js] = [r for r in roots if r.name == "json"]
    names = {n.name for n in js.walk()}
    assert {"json.decoder", "json.scanner", "json.encoder"} <= names
    assert js.cumulative_us >= sum(c.cumulative_us for c in js.children)


names = st.sampled_from(["a", "json", "json.decoder", "pkg.sub.mod", "x_1", "fastapi"])


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> ImportNode:
    children = draw(st.lists(trees(depth + 1), max_size=2)) if depth < 3 else []
    own = draw(st.integers(0, 10**6))
    total = own + sum(c.cumulative_us for c in children)
    return ImportNode(draw(names), own, total, children)


def render(node: ImportNode, level: int = 0) -> list[str]:
    lines = [line for child in node.children for line in render(child, level + 1)]
    pad = " " * (1 + 2 * level)
    lines.append(f"import time: {node.self_us:>9} | {node.cumulative_us:>10} |{pad}{node.name}")
    return lines


@settings(max_examples=60, deadline=None)
@given(st.lists(trees(), min_size=1, max_size=4))
def test_rendered_trees_parse_back(roots: list[ImportNode]) -> None:
    """A tree rendered as importtime prints (children first, indented) parses to itself."""
    text = "import time: self [us] | cumulative | imported package\n"
    text += "\n".join(line for root in roots for line in render(root))
    assert parse_importtime(text) == roots


@given(st.text())
def test_any_text_parses_without_error(text: str) -> None:
    """Arbitrary stderr text (the app's own output mixed in) never makes the parser raise."""
    for node in parse_importtime(text):
        assert node.self_us >= 0


@given(st.lists(st.text(alphabet=" |0123456789abc.:", max_size=40), max_size=30))
def test_near_miss_lines_never_raise(lines: list[str]) -> None:
    """Lines that look almost like importtime lines are skipped or parsed, never a crash."""
    parse_importtime("\n".join("import time:" + line for line in lines))


def test_candidates_are_heavy_third_party_imports_of_the_app() -> None:
    """Heavy non-stdlib imports made by the app's modules are suggested; stdlib, cheap and
    the app's own modules are not."""
    heavy = ImportNode("pandas", 100, 80_000)
    light = ImportNode("tinylib", 10, 500)
    std = ImportNode("asyncio", 100, 30_000)
    inner = ImportNode("myapp.models", 100, 90_000, [ImportNode("sqlalchemy", 50, 60_000)])
    app = ImportNode("myapp", 200, 250_000, [heavy, light, std, inner])
    found = lazy_import_candidates([app, ImportNode("site", 10, 5_000)], "myapp")
    assert [n.name for n in found] == ["pandas", "sqlalchemy"]
