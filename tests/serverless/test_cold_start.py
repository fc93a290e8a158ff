"""ColdStartOptimizer: seed 000's API, measured preloads and warm-ups, reported failures."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rfs.result import Failure, Success
from rfs.serverless import ColdStartOptimizer, StartupMetrics, WarmupFailed
from rfs.serverless.cold_start import ColdStartOptimizer as FromSeedPath


def test_seed_docstring_example_runs_unchanged() -> None:
    """The seed's example: preloading absent modules is recorded, not raised."""
    optimizer = FromSeedPath()
    optimizer.preload_modules(["numpy", "pandas", "tensorflow"])
    optimizer.warm_up_cache()
    metrics = optimizer.get_metrics()
    assert isinstance(metrics, StartupMetrics)
    assert metrics.total_time > 0 and metrics.import_time >= 0
    absent = [m.name for m in metrics.failed_imports]
    assert all(name not in sys.modules for name in absent)
    assert {m.name for m in metrics.modules} == {"numpy", "pandas", "tensorflow"}


def test_startup_metrics_keeps_the_seed_constructor() -> None:
    """``StartupMetrics(0, 0, 0, 0)`` and its four fields, as in the seed."""
    metrics = StartupMetrics(0, 0, 0, 0)
    assert (metrics.total_time, metrics.import_time) == (0, 0)
    assert (metrics.initialization_time, metrics.warmup_time) == (0, 0)


@pytest.fixture
def slow_module(tmp_path: Path) -> Iterator[str]:
    """A module that takes 50 ms to import and imports one more new module."""
    name = f"slow_mod_{time.monotonic_ns()}"
    (tmp_path / f"{name}_dep.py").write_text("X = 1\n")
    (tmp_path / f"{name}.py").write_text(f"import time\nimport {name}_dep\ntime.sleep(0.05)\n")
    sys.path.insert(0, str(tmp_path))
    yield name
    sys.path.remove(str(tmp_path))
    sys.modules.pop(name, None)
    sys.modules.pop(f"{name}_dep", None)


def test_preload_measures_each_module(slow_module: str) -> None:
    """Each preloaded module gets its own time and count of modules it brought in."""
    optimizer = ColdStartOptimizer()
    records = optimizer.preload_modules([slow_module, "json", "no_such_module_xyz"])
    slow, js, missing = records
    assert slow.ok and slow.seconds >= 0.05 and slow.new_modules == 2
    assert js.ok and js.seconds < slow.seconds
    assert not missing.ok and "ModuleNotFoundError" in (missing.error or "")
    assert optimizer.get_metrics().import_time >= 0.05


def test_a_module_raising_at_import_is_reported(tmp_path: Path) -> None:
    """A module raising something other than ImportError is recorded as failed too."""
    name = f"bad_mod_{time.monotonic_ns()}"
    (tmp_path / f"{name}.py").write_text("raise RuntimeError('no config')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        [record] = ColdStartOptimizer().preload_modules([name])
    finally:
        sys.path.remove(str(tmp_path))
    assert record.error == "RuntimeError: no config"


async def test_warmups_run_concurrently_and_are_timed() -> None:
    """An async warm-up and a sync one (in a thread) run at the same time: each waits until the
    other has started, which one after the other would never see. Each is timed; the warm-up
    time covers the longest."""
    optimizer = ColdStartOptimizer()
    threads: list[bool] = []
    pool_started, model_started = threading.Event(), threading.Event()

    @optimizer.register_warmup
    async def connect_pool() -> None:
        pool_started.set()
        if not await asyncio.to_thread(model_started.wait, 10):
            raise RuntimeError("load_model did not start while connect_pool ran")
        await asyncio.sleep(0.05)

    def load_model() -> None:
        threads.append(threading.current_thread() is not threading.main_thread())
        model_started.set()
        if not pool_started.wait(10):
            raise RuntimeError("connect_pool did not start while load_model ran")
        time.sleep(0.05)

    optimizer.register_warmup(load_model)
    result = await optimizer.warm_up()
    assert isinstance(result, Success), result
    metrics = optimizer.get_metrics()
    assert [o.ok for o in metrics.warmups] == [True, True]
    assert all(o.seconds >= 0.05 for o in metrics.warmups)
    assert metrics.warmup_time >= max(o.seconds for o in metrics.warmups)
    assert threads == [True]
    assert [w.name for w in metrics.warmups] == [
        "test_warmups_run_concurrently_and_are_timed.<locals>.connect_pool",
        "test_warmups_run_concurrently_and_are_timed.<locals>.load_model",
    ]


async def test_failing_and_slow_warmups_are_reported() -> None:
    """An exception, a returned Failure and a timeout each fail the warm-up, by name."""
    optimizer = ColdStartOptimizer({"warmup_timeout": 0.05})

    async def raises() -> None:
        raise ConnectionError("db down")

    async def declines() -> Failure[str]:
        return Failure("cache empty")

    async def hangs() -> None:
        await asyncio.sleep(30)

    async def fine() -> None:
        return None

    for fn in (raises, declines, hangs, fine):
        optimizer.register_warmup(fn)
    result = await optimizer.warm_up()
    assert isinstance(result, Failure) and isinstance(result.error, WarmupFailed)
    errors = {o.name.rsplit(".", 1)[-1]: o.error for o in result.error.outcomes}
    assert errors == {
        "raises": "ConnectionError: db down",
        "declines": "Failure: cache empty",
        "hangs": "timed out after 0.05 s",
        "fine": None,
    }
    assert "3 of 4 warm-up(s) failed" in str(result.error)
    assert len(optimizer.get_metrics().failed_warmups) == 3


async def test_warm_up_cache_inside_a_loop_says_to_await() -> None:
    """The sync seed name refuses to block a running loop and says what to call instead."""
    with pytest.raises(RuntimeError, match=r"await warm_up\(\)"):
        ColdStartOptimizer().warm_up_cache()


def test_bad_config_and_warmup_are_clear_errors() -> None:
    """A non-positive warm-up timeout and a non-callable warm-up are refused."""
    with pytest.raises(ValueError, match="warmup_timeout"):
        ColdStartOptimizer({"warmup_timeout": -1})
    with pytest.raises(TypeError, match="needs a function"):
        ColdStartOptimizer().register_warmup(42)  # type: ignore[arg-type]


def test_optimize_memory_freezes_the_heap() -> None:
    """optimize_memory collects then freezes: the live objects move to the permanent generation."""
    try:
        frozen = ColdStartOptimizer().optimize_memory()
        assert frozen > 1000 and gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_initialization_and_ready_are_timed() -> None:
    """``initialization()`` blocks add up; ``mark_ready`` stops the total clock."""
    optimizer = ColdStartOptimizer()
    with optimizer.initialization():
        time.sleep(0.02)
    with optimizer.initialization():
        time.sleep(0.02)
    ready = optimizer.mark_ready()
    assert ready.initialization_time >= 0.04
    total = ready.total_time
    time.sleep(0.01)
    assert optimizer.get_metrics().total_time == total
