"""Attempt and run records: immutable values that pickle, and task references that resolve."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import pickle
import sys
from pathlib import Path

import pytest

from rfs.pipeline import FilesystemIOManager, FsspecIOManager, MemoryIOManager
from rfs.pipeline.context import TaskContext
from rfs.pipeline.executors.attempt import AttemptOutcome, InputRef, TaskAttempt, TaskRef
from rfs.pipeline.io.base import is_process_local
from rfs.pipeline.kinds import TaskKind
from rfs.pipeline.results import TaskResult
from rfs.pipeline.store.base import AttemptRecord, TaskRecord, TaskState

from . import wire_tasks


def test_records_are_frozen_values_that_pickle() -> None:
    """Records compare by value, refuse mutation, round-trip through pickle and replace()."""
    record = TaskRecord("r", "t", TaskState.RUNNING, attempts=2)
    assert pickle.loads(pickle.dumps(record)) == record
    assert dataclasses.replace(record, attempts=3).attempts == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.attempts = 5  # type: ignore[misc]


def test_an_attempt_pickles_without_its_function(tmp_path: Path) -> None:
    """The function object stays behind; the other side resolves it from the reference."""
    attempt = TaskAttempt(
        "r", "add", 1, TaskRef.of(wire_tasks.add), TaskKind.SYNC,
        FilesystemIOManager(tmp_path), params={"a": 1}, func=wire_tasks.add,
    )  # fmt: skip
    back = pickle.loads(pickle.dumps(attempt))
    assert back.func is None and back.params == {"a": 1} and back.ref == attempt.ref
    assert back.resolve() is wire_tasks.add
    assert TaskAttempt("r", "t", 1, attempt.ref, TaskKind.SYNC, MemoryIOManager()).inputs == {}


def test_a_ref_finds_a_file_loaded_under_another_module_name(tmp_path: Path) -> None:
    """A reference by the driver's module name resolves to the same file already loaded under
    another name, without executing the file again."""
    source = tmp_path / "loaded_twice_rfs.py"
    source.write_text("RUNS = []\nRUNS.append(1)\ndef job():\n    return len(RUNS)\n")
    spec = importlib.util.spec_from_file_location("loaded_twice_rfs", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["loaded_twice_rfs"] = module
    try:
        spec.loader.exec_module(module)
        ref = TaskRef("pkg_rfs_test.loaded_twice_rfs", "job", str(source))
        assert ref.resolve()() == 1
        assert sys.modules["pkg_rfs_test.loaded_twice_rfs"] is module
    finally:
        sys.modules.pop("loaded_twice_rfs", None)
        sys.modules.pop("pkg_rfs_test.loaded_twice_rfs", None)


def test_process_local_managers_say_so(tmp_path: Path) -> None:
    """Memory managers (dict or memory:// URL) are process-local; file storage is shared."""
    assert is_process_local(MemoryIOManager())
    assert is_process_local(FsspecIOManager("memory://rfs-records-test"))
    assert not is_process_local(FilesystemIOManager(tmp_path))
    assert not is_process_local(FsspecIOManager(f"file://{tmp_path}"))
    assert not is_process_local(object())


@pytest.mark.parametrize(
    "cls",
    [TaskAttempt, AttemptOutcome, InputRef, TaskRecord, AttemptRecord, TaskContext, TaskResult],
)
def test_hand_written_inits_take_every_field(cls: type) -> None:
    """Each record's constructor takes exactly its fields, in order, with the same defaults
    (None where the field has a factory), so replace() and keyword calls keep working."""
    params = inspect.signature(cls).parameters
    fields = dataclasses.fields(cls)
    assert list(params) == [f.name for f in fields]
    for f in fields:
        default = params[f.name].default
        if f.default is not dataclasses.MISSING:
            assert default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert default is None, f.name
        else:
            assert default is inspect.Parameter.empty, f.name
