"""PluginRegistry: lazy loading, clear errors, entry-point discovery from an installed dist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rfs.plugins import (
    PluginImportError,
    PluginNotFound,
    PluginRegistry,
    installed_plugins,
)
from rfs.result import Failure, Success


def test_seed_000_option_3_runs_unchanged() -> None:
    """The seed's registrations work although the modules do not exist (nothing is imported)."""
    from rfs.plugins.registry import PluginRegistry

    registry = PluginRegistry()
    registry.register("saga", "rfs_extensions.saga")
    registry.register("cold_start", "rfs_extensions.serverless")
    registry.register("async_tasks", "rfs_extensions.async_tasks")
    assert registry.names() == ["async_tasks", "cold_start", "saga"]
    assert "rfs_extensions" not in sys.modules


def test_loading_is_lazy_and_cached(fake_dist: tuple[Path, str, str]) -> None:
    """The module is imported on the first load only, then the same object is returned."""
    _, _, module = fake_dist
    registry = PluginRegistry()
    registry.register("demo", f"{module}:hello")
    assert module not in sys.modules
    first = registry.load("demo")
    assert isinstance(first, Success) and first.value() == "hello from plugin"
    assert registry.load("demo") == first
    assert sys.modules[module].LOADS == 1
    assert [p.loaded for p in registry.plugins()] == [True]


def test_a_missing_module_is_a_failure_naming_it() -> None:
    """A module that does not exist gives PluginImportError naming the plugin and the module."""
    registry = PluginRegistry()
    registry.register("saga", "rfs_extensions.saga")
    result = registry.load("saga")
    assert isinstance(result, Failure) and isinstance(result.error, PluginImportError)
    assert result.error.module == "rfs_extensions.saga"
    assert "plugin 'saga'" in str(result.error) and "'rfs_extensions.saga'" in str(result.error)
    with pytest.raises(PluginImportError, match="rfs_extensions"):
        registry.require("saga")


def test_a_module_raising_at_import_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception raised while the module imports is carried as the cause, not raised."""
    (tmp_path / "broken_plugin_mod.py").write_text("raise RuntimeError('bad config')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = PluginRegistry()
    registry.register("broken", "broken_plugin_mod")
    result = registry.load("broken")
    assert isinstance(result, Failure)
    assert isinstance(result.error.cause, RuntimeError)
    assert "RuntimeError: bad config" in str(result.error)


def test_a_missing_attribute_is_reported(fake_dist: tuple[Path, str, str]) -> None:
    """``module:attr`` with no such attribute fails naming the target."""
    registry = PluginRegistry()
    registry.register("x", f"{fake_dist[2]}:nothing_here")
    result = registry.load("x")
    assert isinstance(result, Failure) and "nothing_here" in str(result.error)


def test_unknown_name_lists_the_known_ones() -> None:
    """Loading an unregistered name fails with PluginNotFound listing the names known."""
    registry = PluginRegistry()
    registry.register("a", "json")
    result = registry.load("b")
    assert result == Failure(PluginNotFound("b", ["a"]))
    assert "known: a" in str(result.error)


@pytest.mark.parametrize("target", ["", "no spaces allowed", "a..b", "a:", ":b", "1abc", "a:b:c"])
def test_malformed_targets_are_refused(target: str) -> None:
    """A target that is not ``module`` or ``module:attr`` is a ValueError saying the form."""
    with pytest.raises(ValueError, match=r"package\.module"):
        PluginRegistry().register("p", target)


def test_conflicting_registration_needs_replace() -> None:
    """Registering a name again with another target is refused unless replace=True."""
    registry = PluginRegistry()
    registry.register("p", "json")
    registry.register("p", "json")  # same target: fine
    with pytest.raises(ValueError, match="already registered as 'json'"):
        registry.register("p", "csv")
    registry.register("p", "csv", replace=True)
    loaded = registry.load("p")
    assert isinstance(loaded, Success) and loaded.value.__name__ == "csv"


def test_discover_finds_entry_points_of_an_installed_dist(fake_dist: tuple[Path, str, str]) -> None:
    """discover() registers the dist's ``rfs.plugins`` entry points with their distribution."""
    _, prefix, module = fake_dist
    registry = PluginRegistry()
    registry.register(f"{prefix}_mod", "json")  # explicit registration wins
    added = registry.discover()
    assert [p.name for p in added] == [f"{prefix}_ext"]
    assert added[0].distribution == f"{prefix}-dist" and added[0].version == "1.2"
    assert module not in sys.modules
    ext = registry.load(f"{prefix}_ext")
    assert isinstance(ext, Success) and ext.value.kind == "demo"
    names = [p[0] for p in installed_plugins()]
    assert f"{prefix}_ext" in names and f"{prefix}_mod" in names


def test_rfs_info_lists_installed_plugins(fake_dist: tuple[Path, str, str]) -> None:
    """``rfs info`` shows each installed plugin with its target and distribution."""
    root, prefix, module = fake_dist
    out = subprocess.run(
        [sys.executable, "-c", "from rfs.cli.main import main; main()", "info"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"},
    )
    assert out.returncode == 0, out.stderr
    assert f"{prefix}_ext" in out.stdout and f"{module}:Extension" in out.stdout
    assert f"{prefix}-dist" in out.stdout
