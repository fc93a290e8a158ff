"""Pickled outputs: signed and checked when a key is set, so a replaced file runs nothing."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.pipeline import (
    FilesystemIOManager,
    FsspecIOManager,
    MemoryRunStore,
    PickleSerializer,
    TaskRegistry,
    run_pipeline,
)
from rfs.pipeline.io.serializers import OutputSignatureError
from rfs.pipeline.signing import SignatureError, sign, verify


class _Evil:
    """Unpickling this creates ``path`` (stands for any code an attacker wants run)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RFS_SIGNING_KEY", raising=False)


def _managers(tmp_path: Path, key: str | None) -> list[Any]:
    return [
        FilesystemIOManager(tmp_path / "fs", serializer=PickleSerializer(key=key)),
        FsspecIOManager(f"file://{tmp_path / 'fsspec'}", serializer=PickleSerializer(key=key)),
    ]


@pytest.mark.parametrize("index", range(2))
def test_tampered_output_fails_clearly_instead_of_running(tmp_path: Path, index: int) -> None:
    """With a key, a signed output round-trips and a file replaced by a pickle is refused."""
    manager = _managers(tmp_path, "k1")[index]
    manager.save("r", "t", "output", {"x": [1, 2]})
    assert manager.load("r", "t", "output") == {"x": [1, 2]}
    marker = tmp_path / "pwned"
    path = Path(manager.save("r", "t", "other", 1).removeprefix("file://"))
    target = path if path.suffix else path.with_suffix(".pkl")
    target.write_bytes(pickle.dumps(_Evil(marker)))
    with pytest.raises(OutputSignatureError, match="refusing to unpickle"):
        manager.load("r", "t", "other")
    assert not marker.exists()
    other_key = _managers(tmp_path, "k2")[index]
    with pytest.raises(OutputSignatureError, match="bad signature"):
        other_key.load("r", "t", "output")


def test_key_from_the_environment_and_signed_files_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RFS_SIGNING_KEY is read at save and load time; a signed file needs the key to load."""
    manager = FilesystemIOManager(tmp_path)
    manager.save("r", "plain", "output", 1)  # no key yet: a plain pickle
    monkeypatch.setenv("RFS_SIGNING_KEY", "from-env")
    manager.save("r", "signed", "output", 2)
    assert manager.load("r", "signed", "output") == 2
    with pytest.raises(OutputSignatureError, match="not signed"):
        manager.load("r", "plain", "output")
    monkeypatch.delenv("RFS_SIGNING_KEY")
    assert manager.load("r", "plain", "output") == 1
    with pytest.raises(OutputSignatureError, match="set RFS_SIGNING_KEY"):
        manager.load("r", "signed", "output")


async def test_resume_does_not_run_a_planted_pickle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upstream output replaced on disk by a malicious pickle fails the resumed task with a
    signature error; the pickle's code never runs."""
    monkeypatch.setenv("RFS_SIGNING_KEY", "resume-key")
    registry = TaskRegistry()
    gate = tmp_path / "gate"

    @registry.task
    def extract() -> list[int]:
        return [1, 2, 3]

    @registry.task(dependencies=["extract"])
    def load(extract: list[int]) -> int:
        if not gate.exists():
            raise RuntimeError("not yet")
        return sum(extract)

    io_manager = FilesystemIOManager(tmp_path / "out")
    store = MemoryRunStore()
    first = await run_pipeline(registry=registry, io_manager=io_manager, run_store=store)
    run_id = first.unwrap_error().run_id
    output = tmp_path / "out" / run_id / "extract" / "output.pkl"
    marker = tmp_path / "pwned"
    output.write_bytes(pickle.dumps(_Evil(marker)))
    gate.touch()
    again = await run_pipeline(
        registry=registry, io_manager=io_manager, run_store=store, resume=run_id
    )
    error = again.unwrap_error()
    assert "OutputSignatureError" in error.failed_tasks["load"]
    assert not marker.exists()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([b"k", b"another key"]))
def test_verifying_arbitrary_bytes_only_raises_signature_errors(blob: bytes, key: bytes) -> None:
    """verify() and a keyed PickleSerializer turn any bytes into their signature error."""
    for candidate in (blob, b"RFS-HMAC-SHA256\n" + blob):
        try:
            data = verify(key, "rfs.pipeline output", candidate)
        except SignatureError:
            pass
        else:
            assert sign(key, "rfs.pipeline output", data) == candidate
        with pytest.raises(OutputSignatureError):
            PickleSerializer(key=key).load(io.BytesIO(candidate))
