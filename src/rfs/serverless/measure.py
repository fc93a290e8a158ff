"""Measure an application's cold start in fresh processes: time to ready and imports by cost.

Each run starts ``python probe.py`` (see :mod:`rfs.serverless.probe`) and times process
start → the ready line on a pipe. One more run under ``-X importtime`` (not timed: the
option slows imports) gives the import tree. A bare interpreter is measured as the floor.
"""

from __future__ import annotations

import math
import os
import select
import statistics
import subprocess  # nosec B404 # runs the interpreter on the caller's own module
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rfs.result import Failure, Result, Success
from rfs.serverless.importtime import ImportNode, lazy_import_candidates, parse_importtime

__all__ = ["ColdStartError", "ColdStartReport", "measure_cold_start"]

PROBE = Path(__file__).with_name("probe.py")


class ColdStartError(Exception):
    """The measurement could not be made: ``kind`` is ``"usage"`` (the target cannot be found
    or does not parse, a bad argument) or ``"failed"`` (the application failed to start)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


@dataclass(frozen=True)
class ColdStartReport:
    """Seconds to ready per run, the bare interpreter's, the import tree and suggestions."""

    target: str
    ready: str
    runs: list[float]
    baseline: list[float] = field(default_factory=list)
    imports: list[ImportNode] = field(default_factory=list)
    suggestions: list[ImportNode] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def p90(self) -> float:
        return _p90(self.runs)

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def import_us(self) -> int:
        """Cumulative µs of every top-level import of the traced run."""
        return sum(node.cumulative_us for node in self.imports)

    def top_imports(self, n: int = 15) -> list[ImportNode]:
        return sorted(self.imports, key=lambda node: -node.cumulative_us)[:n]

    def to_dict(self, top: int = 15) -> dict[str, Any]:
        return {
            "target": self.target,
            "ready": self.ready,
            "runs_s": self.runs,
            "median_s": self.median,
            "p90_s": self.p90,
            "interpreter_median_s": self.baseline_median,
            "import_total_us": self.import_us,
            "imports": [node.to_dict() for node in self.top_imports(top)],
            "lazy_import_candidates": [
                {"module": n.name, "cumulative_us": n.cumulative_us} for n in self.suggestions
            ],
        }


def _app_package(target: str) -> str:
    where = target.partition(":")[0]
    if where.endswith(".py"):
        return Path(where).stem
    return where.split(".")[0]


def _run_once(
    python: str,
    target: str,
    path: str,
    cwd: str | None,
    env: Mapping[str, str] | None,
    timeout: float,
    trace: bool,
) -> Result[tuple[float, str, str], ColdStartError]:
    read, write = os.pipe()
    args = [python, *(["-X", "importtime"] if trace else []), str(PROBE), str(write), target, path]
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(  # nosec B603 # argv list, no shell: our probe on the caller's target
                args,
                pass_fds=(write,),
                stdout=subprocess.DEVNULL,
                stderr=err,
                cwd=cwd,
                env=None if env is None else dict(env),
            )
        except OSError as exc:
            os.close(read)
            os.close(write)
            return Failure(ColdStartError("usage", f"cannot start {python}: {exc}"))
        os.close(write)
        line = b""
        try:
            deadline = start + timeout
            while not line.endswith(b"\n"):
                left = deadline - time.perf_counter()
                if left <= 0 or not select.select([read], [], [], left)[0]:
                    proc.kill()
                    return Failure(ColdStartError("failed", f"not ready after {timeout:g} s"))
                chunk = os.read(read, 4096)
                if not chunk:
                    break
                line += chunk
            elapsed = time.perf_counter() - start
        finally:
            os.close(read)
            proc.wait()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    kind, _, detail = line.decode(errors="replace").strip().partition(" ")
    if kind == "ready":
        return Success((elapsed, detail, stderr))
    if kind == "usage":
        return Failure(ColdStartError("usage", detail))
    if kind == "error":
        return Failure(ColdStartError("failed", detail))
    last = stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
    return Failure(ColdStartError("failed", f"the process died before ready: {last[0]}"))


def measure_cold_start(
    target: str,
    *,
    runs: int = 5,
    path: str = "/",
    python: str | None = None,
    cwd: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    baseline: bool = True,
    trace_imports: bool = True,
) -> Result[ColdStartReport, ColdStartError]:
    """Start ``target`` ``runs`` times in fresh processes and report its cold start.

    ``target`` is ``module[:attr]`` or ``file.py[:attr]`` (see :mod:`rfs.serverless.probe`);
    ``path`` is the request made to an ASGI application; ``python`` the interpreter
    (default: this one); ``cwd`` and ``env`` where and with what environment it runs (with
    ``PYTHONDONTWRITEBYTECODE`` set, every start compiles every module: slower than a
    deployment whose image holds ``.pyc`` files). Each run must be ready within ``timeout``.
    """
    if not target or target.startswith(":") or target.endswith(":"):
        return Failure(
            ColdStartError(
                "usage", f"target must be module[:attr] or file.py[:attr], got {target!r}"
            )
        )
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        return Failure(ColdStartError("usage", f"runs must be an int >= 1, got {runs!r}"))
    if not path.startswith("/"):
        return Failure(ColdStartError("usage", f"path must start with '/', got {path!r}"))
    exe = python or sys.executable
    times: list[float] = []
    ready = ""
    for _ in range(runs):
        outcome = _run_once(exe, target, path, cwd, env, timeout, trace=False)
        if isinstance(outcome, Failure):
            return outcome
        seconds, ready, _ = outcome.value
        times.append(seconds)
    floor: list[float] = []
    for _ in range(runs if baseline else 0):
        bare = _run_once(exe, "", path, cwd, env, timeout, trace=False)
        if isinstance(bare, Success):
            floor.append(bare.value[0])
    imports: list[ImportNode] = []
    suggestions: list[ImportNode] = []
    if trace_imports:
        traced = _run_once(exe, target, path, cwd, env, timeout, trace=True)
        if isinstance(traced, Success):
            imports = parse_importtime(traced.value[2])
            suggestions = lazy_import_candidates(imports, _app_package(target))
    return Success(ColdStartReport(target, ready, times, floor, imports, suggestions))
