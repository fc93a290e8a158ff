"""Filesystem I/O manager: ``{base_path}/{run_id}/{task_name}/{task_result_id}.pkl``."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from rfs._database import data_dir
from rfs.pipeline.io.base import check_name, result_ids
from rfs.pipeline.io.serializers import PickleSerializer, Serializer

__all__ = ["FilesystemIOManager"]


class FilesystemIOManager:
    """Stores each output in its own file, written atomically (temporary file, then rename).

    ``serializer`` defaults to pickle; pass :class:`~rfs.pipeline.io.JsonSerializer` for JSON.
    Durability: a killed process never leaves a partial output (the rename is atomic), and
    the driver records a task succeeded only after ``save`` returned, so nothing reported
    succeeded is lost with the process. By default (``fsync=False``) the file is left in the
    OS page cache: a power loss or kernel crash may lose the last seconds of outputs, as the
    SQLite run store's WAL (``synchronous=NORMAL``) may lose its last commits.
    ``fsync=True`` flushes each file and then its directory before ``save`` returns: outputs
    survive a power loss, at the cost of two disk syncs per output.
    ``base_path`` defaults to ``outputs`` in the data directory (``.rfs/``, or ``$RFS_DATA_DIR``).
    Run ids, task names and result ids with path separators or ``..`` are refused.
    """

    def __init__(
        self,
        base_path: str | os.PathLike[str] | None = None,
        *,
        serializer: Serializer | None = None,
        fsync: bool = False,
    ) -> None:
        self.base_path = Path(base_path) if base_path is not None else data_dir() / "outputs"
        self.serializer: Serializer = serializer or PickleSerializer()
        self.fsync = fsync
        self._made: set[Path] = set()  # folders known to exist (saves a mkdir per item)

    def _path(self, run_id: str, task_name: str, task_result_id: str) -> Path:
        check_name("run_id", run_id)
        check_name("task_name", task_name)
        check_name("task_result_id", task_result_id)
        name = f"{task_result_id}.{self.serializer.extension}"
        return self.base_path / run_id / task_name / name

    def save(self, run_id: str, task_name: str, task_result_id: str, value: Any) -> str:
        path = self._path(run_id, task_name, task_result_id)
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            try:
                file = open(tmp, "wb")  # noqa: SIM115
            except FileNotFoundError:  # the folder was removed behind our back
                path.parent.mkdir(parents=True, exist_ok=True)
                file = open(tmp, "wb")  # noqa: SIM115
            with file:
                self.serializer.dump(value, file)
                if self.fsync:
                    file.flush()
                    os.fsync(file.fileno())
            os.replace(tmp, path)
            if self.fsync:
                _fsync_dir(path.parent)  # the rename itself survives a power loss
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return str(path)

    def load(self, run_id: str, task_name: str, task_result_id: str) -> Any:
        path = self._path(run_id, task_name, task_result_id)
        try:
            with open(path, "rb") as file:
                return self.serializer.load(file)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no output {run_id}/{task_name}/{task_result_id} at {path}"
            ) from None

    def exists(self, run_id: str, task_name: str, task_result_id: str) -> bool:
        return self._path(run_id, task_name, task_result_id).is_file()

    def list_results(self, run_id: str, task_name: str) -> list[str]:
        check_name("run_id", run_id)
        check_name("task_name", task_name)
        try:
            names = os.listdir(self.base_path / run_id / task_name)
        except FileNotFoundError:
            return []
        return result_ids(names, self.serializer.extension)

    def clear_run(self, run_id: str) -> int:
        check_name("run_id", run_id)
        folder = self.base_path / run_id
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        shutil.rmtree(folder)
        self._made = {p for p in self._made if folder not in p.parents}
        return count

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_made"] = set()
        return state

    def list_runs(self) -> list[str]:
        if not self.base_path.is_dir():
            return []
        return sorted(p.name for p in self.base_path.iterdir() if p.is_dir())

    def __repr__(self) -> str:
        return f"FilesystemIOManager({str(self.base_path)!r})"


def _fsync_dir(folder: Path) -> None:
    """Flush a directory's entries (a rename is durable only once its directory is)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
