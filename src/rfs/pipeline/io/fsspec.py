"""fsspec I/O manager: the filesystem layout on any fsspec URL (``memory://``, ``s3://``...)."""

from __future__ import annotations

import uuid
from typing import Any

from rfs._require import require
from rfs.pipeline.io.base import check_name, result_ids
from rfs.pipeline.io.serializers import PickleSerializer, Serializer

__all__ = ["FsspecIOManager"]


class FsspecIOManager:
    """Stores ``{url}/{run_id}/{task_name}/{task_result_id}.{ext}`` through fsspec.

    Writes go to a temporary name and are moved into place, so readers never see half a file
    (object stores, whose puts are atomic already, can pass ``atomic=False`` to skip the move).
    ``storage_options`` go to fsspec (credentials, endpoints). Picklable: worker processes
    rebuild the filesystem from the URL.
    """

    def __init__(
        self,
        url: str,
        *,
        serializer: Serializer | None = None,
        atomic: bool = True,
        **storage_options: Any,
    ) -> None:
        self.url = url
        self.serializer: Serializer = serializer or PickleSerializer()
        self.atomic = atomic
        self.storage_options = storage_options
        self._connect()

    def _connect(self) -> None:
        require("fsspec", "fsspec", "FsspecIOManager")
        import fsspec

        self.fs, root = fsspec.core.url_to_fs(self.url, **self.storage_options)
        self.root = str(root).rstrip("/")

    @property
    def process_local(self) -> bool:
        """True for ``memory://`` URLs: each process has its own fsspec memory filesystem."""
        return self.url.startswith("memory://")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("fs", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._connect()

    def _dir(self, run_id: str, task_name: str | None = None) -> str:
        check_name("run_id", run_id)
        if task_name is None:
            return f"{self.root}/{run_id}"
        check_name("task_name", task_name)
        return f"{self.root}/{run_id}/{task_name}"

    def _path(self, run_id: str, task_name: str, task_result_id: str) -> str:
        check_name("task_result_id", task_result_id)
        return f"{self._dir(run_id, task_name)}/{task_result_id}.{self.serializer.extension}"

    def save(self, run_id: str, task_name: str, task_result_id: str, value: Any) -> str:
        path = self._path(run_id, task_name, task_result_id)
        self.fs.makedirs(self._dir(run_id, task_name), exist_ok=True)
        target = f"{path}.{uuid.uuid4().hex}.tmp" if self.atomic else path
        try:
            with self.fs.open(target, "wb") as file:
                self.serializer.dump(value, file)
            if self.atomic:
                self.fs.mv(target, path)
        except BaseException:
            if self.atomic and self.fs.exists(target):
                self.fs.rm(target)
            raise
        return f"{self.url.rstrip('/')}/{run_id}/{task_name}/{task_result_id}"

    def load(self, run_id: str, task_name: str, task_result_id: str) -> Any:
        path = self._path(run_id, task_name, task_result_id)
        try:
            with self.fs.open(path, "rb") as file:
                return self.serializer.load(file)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"no output {run_id}/{task_name}/{task_result_id} at {path}"
            ) from None

    def exists(self, run_id: str, task_name: str, task_result_id: str) -> bool:
        return bool(self.fs.exists(self._path(run_id, task_name, task_result_id)))

    def list_results(self, run_id: str, task_name: str) -> list[str]:
        folder = self._dir(run_id, task_name)
        if not self.fs.exists(folder):
            return []
        names = [str(p).rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(folder, detail=False)]
        return result_ids(names, self.serializer.extension)

    def clear_run(self, run_id: str) -> int:
        folder = self._dir(run_id)
        if not self.fs.exists(folder):
            return 0
        suffix = f".{self.serializer.extension}"
        count = sum(1 for p in self.fs.find(folder) if str(p).endswith(suffix))
        self.fs.rm(folder, recursive=True)
        return count

    def list_runs(self) -> list[str]:
        if not self.fs.exists(self.root):
            return []
        entries = self.fs.ls(self.root, detail=True)
        return sorted(
            str(e["name"]).rstrip("/").rsplit("/", 1)[-1]
            for e in entries
            if e.get("type") == "directory"
        )

    def __repr__(self) -> str:
        return f"FsspecIOManager({self.url!r})"
