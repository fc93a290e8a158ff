"""Every ```python block in README.md and docs/*.md runs, and type-checks under ``mypy --strict``.

Blocks of one page run in order in one namespace, so a page can build an example step by
step. A page that defines ``async def main()`` has it awaited after its last block. A block
whose first line is ``# not run`` is skipped (for snippets that need a server or a shell).

The blocks of each page are also written, in order, as one module of a temporary package
and checked by one ``mypy --strict`` run (with the project's mypy settings). A block whose
first line is ``# not type-checked: <reason>`` still runs but is left out of that module:
a fragment that only makes sense beside prose, with the reason in the marker.
"""

from __future__ import annotations

import asyncio
import linecache
import re
import subprocess  # nosec B404: runs mypy on files this test wrote
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
UNCHECKED = re.compile(r"# not type-checked: \S")
# Whole pages left out of the mypy run, each with its reason.
UNCHECKED_PAGES: dict[str, str] = {}


def python_blocks(page: Path) -> list[str]:
    return [
        block
        for block in BLOCK.findall(page.read_text(encoding="utf-8"))
        if not block.lstrip().startswith("# not run")
    ]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's code blocks execute without error, in order, in one namespace."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for number, block in enumerate(python_blocks(page), start=1):
        filename = f"{page.name} block {number}"
        linecache.cache[filename] = (len(block), None, block.splitlines(True), filename)
        code = compile(block, filename, "exec")
        exec(code, namespace)
    main = namespace.get("main")
    if asyncio.iscoroutinefunction(main):
        asyncio.run(main())


def write_page_module(page: Path, folder: Path) -> dict[int, str] | None:
    """Write the page's checked blocks as one module; map each module line to its origin."""
    origin: dict[int, str] = {}
    lines: list[str] = []
    for number, block in enumerate(python_blocks(page), start=1):
        first = block.lstrip().splitlines()[0] if block.strip() else ""
        if first.startswith("# not type-checked"):
            assert UNCHECKED.match(first), f"{page.name} block {number}: give the reason"
            continue
        for offset, line in enumerate(block.splitlines(), start=1):
            lines.append(line)
            origin[len(lines)] = f"{page.name} block {number} line {offset}"
    if not lines:
        return None
    (folder / f"docs_{page.stem.replace('-', '_')}.py").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    return origin


def test_page_code_blocks_type_check(tmp_path: Path) -> None:
    """Every checked block of README and docs/ passes ``mypy --strict``, as a reader's would."""
    package = tmp_path / "docs_blocks"
    package.mkdir()
    origins: dict[str, dict[int, str]] = {}
    for page in PAGES:
        if page.name in UNCHECKED_PAGES:
            continue
        origin = write_page_module(page, package)
        if origin is not None:
            origins[f"docs_{page.stem.replace('-', '_')}.py"] = origin
    command = [
        sys.executable, "-m", "mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"),
        "--cache-dir", str(ROOT / ".mypy_cache" / "docs"), "--no-error-summary",
        "--hide-error-context", "--show-error-codes", *sorted(origins),
    ]  # fmt: skip
    done = subprocess.run(  # nosec B603: fixed command, files written above
        command, cwd=package, capture_output=True, text=True, check=False
    )
    report = []
    for line in done.stdout.splitlines():
        name, _, rest = line.partition(":")
        number, _, message = rest.partition(":")
        where = origins.get(name, {}).get(int(number)) if number.isdigit() else None
        report.append(f"{where}:{message}" if where else line)
    assert done.returncode == 0, "mypy --strict on the docs:\n" + "\n".join(report) + done.stderr
