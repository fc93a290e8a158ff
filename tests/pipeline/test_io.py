"""I/O managers: layout, atomic writes, serializers, name safety, fsspec URLs."""

from __future__ import annotations

import pickle
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from rfs.pipeline import (
    FilesystemIOManager,
    FsspecIOManager,
    JsonSerializer,
    MemoryIOManager,
    UnsafeNameError,
)


def _managers(tmp_path: Path) -> list[Any]:
    return [
        FilesystemIOManager(tmp_path / "fs"),
        FsspecIOManager(f"memory://rfs-test-{uuid.uuid4().hex}"),
        FsspecIOManager(f"file://{tmp_path / 'fsspec'}"),
        MemoryIOManager(),
    ]


@pytest.mark.parametrize("index", range(4))
def test_save_load_list_clear(tmp_path: Path, index: int) -> None:
    """Every manager saves, loads, lists (sorted), lists runs and clears a run."""
    io = _managers(tmp_path)[index]
    io.save(run_id="r1", task_name="t", task_result_id="b", value={"x": 1})
    io.save(run_id="r1", task_name="t", task_result_id="a", value=[1, 2])
    io.save(run_id="r2", task_name="t", task_result_id="a", value=3)
    assert io.load(run_id="r1", task_name="t", task_result_id="b") == {"x": 1}
    assert io.list_results(run_id="r1", task_name="t") == ["a", "b"]
    assert io.exists("r1", "t", "a") and not io.exists("r1", "t", "zz")
    assert io.list_runs() == ["r1", "r2"]
    assert io.clear_run(run_id="r1") == 2
    assert io.list_results("r1", "t") == [] and io.list_runs() == ["r2"]
    with pytest.raises((FileNotFoundError, KeyError)):
        io.load("r1", "t", "a")


def test_filesystem_layout(tmp_path: Path) -> None:
    """Files land at {base}/{run}/{task}/{id}.pkl and are plain pickles."""
    io = FilesystemIOManager(base_path=tmp_path)
    path = io.save(run_id="run1", task_name="extract", task_result_id="output", value=42)
    assert Path(path) == tmp_path / "run1" / "extract" / "output.pkl"
    assert pickle.loads(Path(path).read_bytes()) == 42


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", "a\\b", "/abs"])
def test_unsafe_names_refused(tmp_path: Path, bad: str) -> None:
    """Run ids, task names and result ids that could escape the base path are refused."""
    for io in (FilesystemIOManager(tmp_path), FsspecIOManager(f"file://{tmp_path}")):
        for args in ((bad, "t", "r"), ("r", bad, "r"), ("r", "t", bad)):
            with pytest.raises(UnsafeNameError):
                io.save(*args, value=1)
        with pytest.raises(UnsafeNameError):
            io.clear_run(bad)
    assert list(tmp_path.iterdir()) == []


def test_unpicklable_value_leaves_nothing_and_keeps_earlier_outputs(tmp_path: Path) -> None:
    """A value that cannot be pickled raises, leaves no file (not even a temporary one),
    and earlier outputs stay readable."""
    io = FilesystemIOManager(tmp_path)
    io.save("r", "t", "good", [1, 2, 3])
    with pytest.raises((TypeError, pickle.PicklingError)):
        io.save("r", "t", "bad", threading.Lock())
    assert sorted(p.name for p in (tmp_path / "r" / "t").iterdir()) == ["good.pkl"]
    assert io.load("r", "t", "good") == [1, 2, 3]


def test_overwrite_is_atomic_replace(tmp_path: Path) -> None:
    """Saving again under the same id replaces the value in one step."""
    io = FilesystemIOManager(tmp_path, fsync=True)
    io.save("r", "t", "x", "old")
    io.save("r", "t", "x", "new")
    assert io.load("r", "t", "x") == "new"
    assert [p.name for p in (tmp_path / "r" / "t").iterdir()] == ["x.pkl"]


def test_json_serializer(tmp_path: Path) -> None:
    """The JSON serializer writes readable .json files."""
    io = FilesystemIOManager(tmp_path, serializer=JsonSerializer())
    path = io.save("r", "t", "out", {"a": [1, 2]})
    assert path.endswith("out.json") and Path(path).read_text() == '{"a":[1,2]}'
    assert io.load("r", "t", "out") == {"a": [1, 2]}
    assert io.list_results("r", "t") == ["out"]


def test_fsspec_manager_pickles_and_reconnects() -> None:
    """An fsspec manager survives pickling (as worker processes receive it)."""
    io = FsspecIOManager(f"memory://rfs-test-{uuid.uuid4().hex}")
    io.save("r", "t", "x", 5)
    clone = pickle.loads(pickle.dumps(io))
    assert clone.load("r", "t", "x") == 5


def test_parquet_serializer(tmp_path: Path) -> None:
    """Tables round-trip through Parquet files (skipped without pyarrow)."""
    pa = pytest.importorskip("pyarrow")
    from rfs.pipeline import ParquetSerializer

    io = FilesystemIOManager(tmp_path, serializer=ParquetSerializer())
    path = io.save("r", "t", "out", pa.table({"a": [1, 2]}))
    assert path.endswith("out.parquet")
    assert io.load("r", "t", "out").to_pydict() == {"a": [1, 2]}
    with pytest.raises(TypeError, match="stores tables"):
        io.save("r", "t", "bad", [1, 2])


def test_parquet_serializer_without_pyarrow_names_the_install() -> None:
    """Without pyarrow, constructing the serializer says what to install."""
    import importlib.util

    if importlib.util.find_spec("pyarrow") is not None:
        pytest.skip("pyarrow is installed")
    from rfs.pipeline import ParquetSerializer

    with pytest.raises(ImportError, match="pip install pyarrow"):
        ParquetSerializer()
