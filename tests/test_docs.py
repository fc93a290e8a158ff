"""Every ```python block in README.md and docs/*.md runs.

Blocks of one page run in order in one namespace, so a page can build an example step by
step. A page that defines ``async def main()`` has it awaited after its last block. A block
whose first line is ``# not run`` is skipped (for snippets that need a server or a shell).
"""

from __future__ import annotations

import asyncio
import linecache
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


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
