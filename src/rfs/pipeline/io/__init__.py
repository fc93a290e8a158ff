"""I/O managers: where task outputs live between tasks (filesystem, fsspec, memory)."""

from rfs.pipeline.io.base import IOManager, UnsafeNameError, check_name
from rfs.pipeline.io.filesystem import FilesystemIOManager
from rfs.pipeline.io.fsspec import FsspecIOManager
from rfs.pipeline.io.memory import MemoryIOManager
from rfs.pipeline.io.serializers import (
    JsonSerializer,
    ParquetSerializer,
    PickleSerializer,
    Serializer,
)

__all__ = [
    "FilesystemIOManager",
    "FsspecIOManager",
    "IOManager",
    "JsonSerializer",
    "MemoryIOManager",
    "ParquetSerializer",
    "PickleSerializer",
    "Serializer",
    "UnsafeNameError",
    "check_name",
]
