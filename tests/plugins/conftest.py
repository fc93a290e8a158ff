"""A real installed distribution (dist-info on sys.path) declaring ``rfs.plugins`` entry points."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def install_fake_dist(root: Path, dist: str, module: str, entry_points: dict[str, str]) -> None:
    """Write ``module.py`` and ``<dist>-1.2.dist-info`` (METADATA, entry_points.txt) in ``root``."""
    (root / f"{module}.py").write_text(
        "LOADS = globals().get('LOADS', 0) + 1\n"
        "class Extension:\n    kind = 'demo'\n"
        "def hello():\n    return 'hello from plugin'\n"
    )
    info = root / f"{dist}-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[rfs.plugins]\n{lines}\n")


@pytest.fixture
def fake_dist(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A distribution with plugins ``<p>_ext`` (module:attr) and ``<p>_mod`` (a module)."""
    prefix = f"p{uuid.uuid4().hex[:8]}"
    module = f"{prefix}_plugin"
    install_fake_dist(
        tmp_path,
        f"{prefix}-dist",
        module,
        {f"{prefix}_ext": f"{module}:Extension", f"{prefix}_mod": module},
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path, prefix, module
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(module, None)
