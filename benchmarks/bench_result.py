"""Result chains against ``returns``, ``result``, RFS v4 and plain try/except code.

The chain is 5 x (map, bind) over the same small functions, timed with the C extension and,
in a subprocess, with the pure-Python fallback (``RFS_PURE_PYTHON=1``). RFS v4 (``rfs-framework``)
installs a package also named ``rfs``, so it is installed into ``.bench-peers/`` and timed in
a subprocess; every other figure is measured in this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks._harness import Row, available, per_call_ns, report
from rfs import Failure, Success

PEERS_DIR = Path(__file__).resolve().parents[1] / ".bench-peers" / "rfs_v4"
V4_VERSION = "4.6.6"


def inc(x: int) -> int:
    return x + 1


def plain_step(x: int) -> int:
    return x + 1


def plain_fail(x: int) -> int:
    raise ValueError("bad input")


def plain_chain(x: int, first: object = inc) -> object:
    try:
        x = first(x)  # type: ignore[operator]
        x = plain_step(x)
        x = inc(x)
        x = plain_step(x)
        x = inc(x)
        x = plain_step(x)
        x = inc(x)
        x = plain_step(x)
        x = inc(x)
        return plain_step(x)
    except ValueError as exc:
        return exc


def rfs_step(x: int) -> Success[int]:
    return Success(x + 1)


def rfs_chain(r: object) -> object:
    return (
        r.map(inc)  # type: ignore[attr-defined]
        .bind(rfs_step)
        .map(inc)
        .bind(rfs_step)
        .map(inc)
        .bind(rfs_step)
        .map(inc)
        .bind(rfs_step)
        .map(inc)
        .bind(rfs_step)
    )


CHAIN_SRC = """
def chain(r):
    return (r.{m}(inc).{b}(step).{m}(inc).{b}(step).{m}(inc).{b}(step)
             .{m}(inc).{b}(step).{m}(inc).{b}(step))
"""


def make_chain(map_name: str, bind_name: str, step: object) -> object:
    namespace: dict[str, object] = {"inc": inc, "step": step}
    exec(CHAIN_SRC.format(m=map_name, b=bind_name), namespace)
    return namespace["chain"]


def returns_figures() -> tuple[float | None, float | None, float | None]:
    if not available("returns"):
        return None, None, None
    from returns.result import Failure as RFailure
    from returns.result import Success as RSuccess

    chain = make_chain("map", "bind", lambda x: RSuccess(x + 1))
    ok, err = RSuccess(1), RFailure("e")
    return (
        per_call_ns(lambda: RSuccess(1)),
        per_call_ns(lambda: chain(ok)),  # type: ignore[operator]
        per_call_ns(lambda: chain(err)),  # type: ignore[operator]
    )


def result_lib_figures() -> tuple[float | None, float | None, float | None]:
    if not available("result"):
        return None, None, None
    from result import Err, Ok

    chain = make_chain("map", "and_then", lambda x: Ok(x + 1))
    ok, err = Ok(1), Err("e")
    return (
        per_call_ns(lambda: Ok(1)),
        per_call_ns(lambda: chain(ok)),  # type: ignore[operator]
        per_call_ns(lambda: chain(err)),  # type: ignore[operator]
    )


V4_SCRIPT = """
import contextlib, io, sys, time
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    from rfs.core.result import Success, Failure
imported = (time.perf_counter() - start) * 1e3
sys.path.insert(0, {repo!r})
from benchmarks._harness import per_call_ns
from benchmarks.bench_result import make_chain
chain = make_chain("map", "bind", lambda x: Success(x + 1))
ok, err = Success(1), Failure("e")
print(per_call_ns(lambda: Success(1)), per_call_ns(lambda: chain(ok)),
      per_call_ns(lambda: chain(err)), imported)
"""


def v4_figures() -> tuple[float | None, ...]:
    """Time rfs-framework in a subprocess (it shadows our package name)."""
    if not (PEERS_DIR / "rfs").exists():
        print(f"installing rfs-framework=={V4_VERSION} into {PEERS_DIR} ...", flush=True)
        install = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--target",
                str(PEERS_DIR),
                f"rfs-framework=={V4_VERSION}",
            ],
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            print("rfs-framework could not be installed:", install.stderr[-500:])
            return None, None, None, None
    repo = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": str(PEERS_DIR)}
    run = subprocess.run(
        [sys.executable, "-c", V4_SCRIPT.format(repo=repo)],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
    )
    if run.returncode != 0:
        print("rfs-framework benchmark failed:", run.stderr[-500:])
        return None, None, None, None
    return tuple(float(x) for x in run.stdout.split()[-4:])


PURE_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
from benchmarks._harness import per_call_ns
from benchmarks.bench_result import plain_chain, rfs_chain
from rfs import Success
ok = Success(1)
ours = plain = float("inf")
for _ in range(3):  # interleaved rounds: load on a shared machine drifts between cases
    plain = min(plain, per_call_ns(lambda: plain_chain(1)))
    ours = min(ours, per_call_ns(lambda: rfs_chain(ok)))
print(ours, plain)
"""


def pure_python_figures() -> tuple[float | None, float | None]:
    """The Success chain with RFS_PURE_PYTHON=1 (no C extension), beside try/except there."""
    repo = str(Path(__file__).resolve().parents[1])
    run = subprocess.run(
        [sys.executable, "-c", PURE_SCRIPT.format(repo=repo)],
        capture_output=True,
        text=True,
        env={**os.environ, "RFS_PURE_PYTHON": "1"},
    )
    if run.returncode != 0:
        print("pure-Python benchmark failed:", run.stderr[-500:])
        return None, None
    ours, plain = (float(x) for x in run.stdout.split()[-2:])
    return ours, plain


def import_time_ms() -> float:
    """Best of 5 fresh-process ``import rfs`` times, in milliseconds."""
    code = (
        "import time; s = time.perf_counter(); import rfs; print((time.perf_counter() - s) * 1e3)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return min(runs)


def main() -> None:
    ok, err = Success(1), Failure("e")
    best = [float("inf")] * 5
    for _ in range(3):  # interleaved rounds: load on a shared machine drifts between cases
        figures = (
            per_call_ns(lambda: Success(1)),
            per_call_ns(lambda: rfs_chain(ok)),
            per_call_ns(lambda: rfs_chain(err)),
            per_call_ns(lambda: plain_chain(1)),
            per_call_ns(lambda: plain_chain(1, plain_fail)),
        )
        best = [min(a, b) for a, b in zip(best, figures, strict=True)]
    ours = (best[0], best[1], best[2])
    plain = (None, best[3], best[4])
    peers = {
        "try/except": plain,
        "result": result_lib_figures(),
        "returns": returns_figures(),
        "rfs v4": v4_figures(),
    }
    cases = ["construct Success", "10-step chain, Success", "10-step chain, Failure"]
    rows = [
        Row(case, ours[i], {name: figures[i] for name, figures in peers.items()})
        for i, case in enumerate(cases)
    ]
    pure, pure_plain = pure_python_figures()
    if pure is not None:
        rows.append(Row("10-step chain, Success, pure Python", pure, {"try/except": pure_plain}))
    v4_import = peers["rfs v4"][3] if len(peers["rfs v4"]) > 3 else None
    rows.append(Row("import rfs", import_time_ms(), {"rfs v4": v4_import}, unit="ms"))
    report("Result", rows, note="peer/rfs > 1 means rfs is faster")


if __name__ == "__main__":
    main()
