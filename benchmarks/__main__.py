"""Run every ``benchmarks/bench_*.py`` (or the ones named on the command line)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(selected: list[str]) -> None:
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        topic = path.stem.removeprefix("bench_")
        if selected and topic not in selected:
            continue
        print(f"\n### {topic}", flush=True)
        importlib.import_module(f"benchmarks.{path.stem}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
