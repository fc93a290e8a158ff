"""Celery attempt messages: JSON by default, signed pickle only with a key, refusals otherwise."""

from __future__ import annotations

import base64
import json
import pickle
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.pipeline.executors.attempt import AttemptOutcome, InputRef, TaskAttempt, TaskRef
from rfs.pipeline.executors.celery_app import outcome_from_dict
from rfs.pipeline.executors.celery_wire import AttemptRejected, decode_attempt, encode_attempt
from rfs.pipeline.io import FilesystemIOManager, FsspecIOManager, JsonSerializer
from rfs.pipeline.kinds import InputMode, kind_of

from . import wire_tasks


class _Evil:
    """Unpickling this creates ``path`` (stands for any code an attacker wants run)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def _attempt(func: Any, tmp_path: Path, **options: Any) -> TaskAttempt:
    return TaskAttempt(
        run_id="run-1",
        task_name=func.__name__,
        attempt=1,
        ref=TaskRef.of(func),
        kind=kind_of(func),
        io_manager=options.pop("io", FilesystemIOManager(tmp_path / "out")),
        **options,
    )


def _same(back: TaskAttempt, sent: TaskAttempt) -> bool:
    """Equal attempts, the I/O manager compared by type and repr (it has no equality)."""
    io_same = type(back.io_manager) is type(sent.io_manager) and repr(back.io_manager) == repr(
        sent.io_manager
    )
    return io_same and replace(back, io_manager=sent.io_manager) == sent


def _json_message(ref: dict[str, Any], params: dict[str, Any], tmp_path: Path) -> str:
    body = {
        "run_id": "r",
        "task_name": "t",
        "attempt": 1,
        "ref": ref,
        "kind": "sync",
        "io": {"type": "filesystem", "base_path": str(tmp_path), "serializer": {"name": "json"}},
        "inputs": {},
        "params": params,
        "timeout": None,
        "max_retries": 0,
        "stream_output": False,
    }
    return json.dumps({"rfs": 1, "format": "json", "body": json.dumps(body)})


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RFS_SIGNING_KEY", raising=False)


def test_json_round_trip_resolves_only_trusted_functions(tmp_path: Path) -> None:
    """Without a key an attempt travels as JSON and comes back equal, its function found in
    a trusted module without importing anything."""
    attempt = _attempt(
        wire_tasks.add,
        tmp_path,
        inputs={"a": InputRef("up", InputMode.LIST, 3)},
        params={"b": [1, {"x": None}]},
        timeout=2.5,
        max_retries=2,
    )
    message = encode_attempt(attempt)
    envelope = json.loads(message)
    assert envelope["format"] == "json" and "sig" not in envelope
    back = decode_attempt(message, trusted_modules=[wire_tasks])
    assert _same(back, attempt)
    assert back.resolve() is wire_tasks.add
    assert isinstance(back.io_manager, FilesystemIOManager)
    assert back.io_manager.base_path == tmp_path / "out"


def test_fsspec_manager_and_json_serializer_travel_as_json(tmp_path: Path) -> None:
    """An fsspec manager with a JSON serializer is described, not pickled."""
    io = FsspecIOManager(f"file://{tmp_path}/fs", serializer=JsonSerializer(), atomic=False)
    message = encode_attempt(_attempt(wire_tasks.add, tmp_path, io=io))
    back = decode_attempt(message, trusted_modules=[wire_tasks]).io_manager
    assert isinstance(back, FsspecIOManager) and back.url == io.url and back.atomic is False
    assert isinstance(back.serializer, JsonSerializer)


@pytest.mark.parametrize("key", [None, "k"])
def test_a_bare_pickle_runs_nothing(tmp_path: Path, key: str | None) -> None:
    """A base64 pickle (the old message form) is refused unread, with or without a key."""
    marker = tmp_path / "pwned"
    crafted = base64.b64encode(pickle.dumps(_Evil(marker))).decode()
    with pytest.raises(AttemptRejected, match="bare pickle is never loaded"):
        decode_attempt(crafted, key=key)
    assert not marker.exists()


def test_an_unsigned_pickle_envelope_runs_nothing(tmp_path: Path) -> None:
    """A pickle in a well-formed envelope is refused when the worker has no key."""
    marker = tmp_path / "pwned"
    body = base64.b64encode(pickle.dumps(_Evil(marker))).decode()
    message = json.dumps({"rfs": 1, "format": "pickle", "body": body})
    with pytest.raises(AttemptRejected, match="unsigned pickles are never loaded"):
        decode_attempt(message)
    assert not marker.exists()


def test_signed_pickle_needs_the_same_key(tmp_path: Path) -> None:
    """Non-JSON params go as a pickle signed with the key; another key or none is refused."""
    attempt = _attempt(wire_tasks.add, tmp_path, params={"a": (1, 2)})
    with pytest.raises(TypeError, match="RFS_SIGNING_KEY"):
        encode_attempt(attempt)
    message = encode_attempt(attempt, key="k1")
    assert json.loads(message)["format"] == "pickle"
    assert _same(decode_attempt(message, key="k1"), attempt)
    with pytest.raises(AttemptRejected, match="bad signature"):
        decode_attempt(message, key="k2")
    with pytest.raises(AttemptRejected, match="unsigned pickles"):
        decode_attempt(message)


def test_a_worker_with_a_key_refuses_unsigned_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With RFS_SIGNING_KEY set, unsigned JSON is refused and signed JSON accepted."""
    attempt = _attempt(wire_tasks.add, tmp_path, params={"a": 1, "b": 2})
    unsigned = encode_attempt(attempt)
    monkeypatch.setenv("RFS_SIGNING_KEY", "secret")
    signed = encode_attempt(attempt)
    with pytest.raises(AttemptRejected, match="unsigned message"):
        decode_attempt(unsigned)
    assert _same(decode_attempt(signed, trusted_modules=[]), attempt)


@pytest.mark.parametrize(
    "ref",
    [
        {"module": "os", "qualname": "system"},
        {"module": wire_tasks.__name__, "qualname": "os.system"},
        {"module": wire_tasks.__name__, "qualname": "not_a_task"},
    ],
    ids=["stdlib", "reexported", "outside-trusted"],
)
def test_unsigned_json_runs_only_trusted_functions(tmp_path: Path, ref: dict[str, str]) -> None:
    """An unsigned message naming a function outside the trusted modules is refused."""
    message = _json_message({**ref, "file": None}, {"command": "true"}, tmp_path)
    with pytest.raises(AttemptRejected, match="neither a registered @task"):
        decode_attempt(message, trusted_modules=[sys.modules["rfs.pipeline.io.base"]])


def test_registered_tasks_are_trusted_anywhere(tmp_path: Path) -> None:
    """A registered @task function may run from an unsigned message, whatever its module."""
    message = encode_attempt(_attempt(wire_tasks.registered, tmp_path))
    assert decode_attempt(message, trusted_modules=[]).resolve() is wire_tasks.registered


def test_unsigned_json_imports_nothing(tmp_path: Path) -> None:
    """A message naming a module that is not loaded, with a file to load it from, is refused
    without importing or executing that file."""
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil_module.py"
    evil.write_text(f"open({str(marker)!r}, 'w')\ndef run():\n    pass\n")
    ref = {"module": "evil_module_rfs_test", "qualname": "run", "file": str(evil)}
    with pytest.raises(AttemptRejected, match="not loaded on this worker"):
        decode_attempt(_json_message(ref, {}, tmp_path), trusted_modules=[wire_tasks])
    assert not marker.exists()
    assert "evil_module_rfs_test" not in sys.modules


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("[" * 5000, None),
        (json.dumps({"rfs": 1, "format": "json", "body": "[" * 5000}), None),
        (json.dumps({"rfs": 1, "format": "pickle", "body": "!!", "sig": "00"}), "k"),
        ("x" * (17 * 1024 * 1024), None),
        (b"bytes", None),
        (None, None),
    ],
    ids=["deep", "deep-body", "bad-sig", "huge", "bytes", "none"],
)
def test_poison_messages_are_refused(message: object, key: str | None) -> None:
    """Deep nesting, huge messages, bad signatures and non-text all end in AttemptRejected."""
    with pytest.raises(AttemptRejected):
        decode_attempt(message, key=key)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        name: _json
        for name in (
            "run_id", "task_name", "attempt", "ref", "kind", "io", "inputs", "params",
            "timeout", "max_retries", "stream_output",
        )
    },
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.binary().map(lambda b: base64.b64encode(b).decode()),
        _json.map(json.dumps),
        _fields.map(lambda f: json.dumps({"rfs": 1, "format": "json", "body": json.dumps(f)})),
        st.builds(
            lambda fmt, body, sig: json.dumps({"rfs": 1, "format": fmt, "body": body, "sig": sig}),
            st.sampled_from(["json", "pickle", "x"]),
            st.text(),
            st.text() | st.none(),
        ),
    ),
    st.sampled_from([None, "k"]),
)
def test_decoding_arbitrary_input_only_refuses(message: str, key: str | None) -> None:
    """Whatever a message holds, decoding returns an attempt or raises AttemptRejected."""
    try:
        attempt = decode_attempt(message, key=key, trusted_modules=[wire_tasks])
    except AttemptRejected as exc:
        assert str(exc)
    else:
        assert isinstance(attempt, TaskAttempt)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["status", "result_ids", "error", "x", "retryable"]), _json))
def test_outcomes_from_a_backend_decode_or_raise_a_value_error(data: dict[str, Any]) -> None:
    """A result-backend outcome of any shape decodes or raises KeyError/TypeError/ValueError,
    which the executor reports as a failed attempt."""
    try:
        outcome = outcome_from_dict(data)
    except (KeyError, TypeError, ValueError):
        return
    assert isinstance(outcome, AttemptOutcome)
