"""Run every example: each ``examples/*.py`` module and each package with a ``__main__``."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent


def example_modules() -> list[str]:
    """Names of the runnable examples, in a stable order."""
    names = []
    for path in sorted(HERE.iterdir()):
        if path.name.startswith("_"):
            continue
        if path.suffix == ".py":
            names.append(f"examples.{path.stem}")
        elif (path / "__main__.py").exists():
            names.append(f"examples.{path.name}")
    return names


def main(selected: list[str]) -> None:
    for name in example_modules():
        if selected and name.split(".", 1)[1] not in selected:
            continue
        print(f"\n=== {name} ===", flush=True)
        runpy.run_module(name, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
