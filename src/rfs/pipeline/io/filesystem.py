"""Filesystem I/O manager: ``{base_path}/{run_id}/{task_name}/{task_result_id}.pkl``."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from rfs._database import data_dir
from rfs.pipeline.io.base import check_name, result_ids
from rfs.pipeline.io.serializers import PickleSerializer, Serializer

__all__ = ["FilesystemIOManager"]

# temporary names: unique per process (pid, re-read after a fork) and per write (a counter);
# the random part keeps two hosts writing one shared folder apart
_TMP_TAG = secrets.token_hex(4)
_tmp_numbers = itertools.count()


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
        self._base = Path(base_path) if base_path is not None else data_dir() / "outputs"
        self._root = os.fspath(self._base)
        self.serializer: Serializer = serializer or PickleSerializer()
        self.fsync = fsync
        self._made: set[str] = set()  # folders known to exist (saves a mkdir per item)

    @property
    def base_path(self) -> Path:
        """The folder holding one sub-folder per run."""
        return self._base

    def _folder(self, run_id: str, task_name: str) -> str:
        check_name("run_id", run_id)
        check_name("task_name", task_name)
        return f"{self._root}/{run_id}/{task_name}"

    def _path(self, run_id: str, task_name: str, task_result_id: str) -> str:
        folder = self._folder(run_id, task_name)
        check_name("task_result_id", task_result_id)
        return f"{folder}/{task_result_id}.{self.serializer.extension}"

    def save(self, run_id: str, task_name: str, task_result_id: str, value: Any) -> str:
        folder = self._folder(run_id, task_name)
        check_name("task_result_id", task_result_id)
        name = f"{task_result_id}.{self.serializer.extension}"
        path = f"{folder}/{name}"
        if folder not in self._made:
            _make_folder(folder)
            self._made.add(folder)
        tmp = f"{folder}/.{name}.{os.getpid()}-{_TMP_TAG}-{next(_tmp_numbers)}.tmp"
        try:
            try:
                file = open(tmp, "xb")  # noqa: SIM115
            except FileNotFoundError:  # the folder was removed behind our back
                _make_folder(folder)
                file = open(tmp, "xb")  # noqa: SIM115
            with file:
                self.serializer.dump(value, file)
                if self.fsync:
                    file.flush()
                    os.fsync(file.fileno())
            os.replace(tmp, path)
            if self.fsync:
                _fsync_dir(folder)  # the rename itself survives a power loss
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return path

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
        return os.path.isfile(self._path(run_id, task_name, task_result_id))

    def list_results(self, run_id: str, task_name: str) -> list[str]:
        try:
            names = os.listdir(self._folder(run_id, task_name))
        except FileNotFoundError:
            return []
        return result_ids(names, self.serializer.extension)

    def clear_run(self, run_id: str) -> int:
        check_name("run_id", run_id)
        folder = self._base / run_id
        if not folder.is_dir():
            return 0
        count = sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
        shutil.rmtree(folder)
        inside = os.path.join(folder, "")
        self._made = {p for p in self._made if not p.startswith(inside)}
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


def _make_folder(folder: str) -> None:
    """``mkdir -p``, in one system call when the parent exists (the usual case)."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


def _fsync_dir(folder: str) -> None:
    """Flush a directory's entries (a rename is durable only once its directory is)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
