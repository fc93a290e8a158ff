"""Serializers for stored outputs: pickle (default) and JSON; each names its file extension."""

from __future__ import annotations

import json
import pickle
from typing import IO, Any, Protocol, runtime_checkable

__all__ = ["JsonSerializer", "PickleSerializer", "Serializer"]


@runtime_checkable
class Serializer(Protocol):
    """Writes a value to a binary file and reads it back."""

    extension: str

    def dump(self, value: Any, file: IO[bytes]) -> None: ...

    def load(self, file: IO[bytes]) -> Any: ...


class PickleSerializer:
    """Any picklable Python value (the default)."""

    extension = "pkl"

    def __init__(self, protocol: int = pickle.HIGHEST_PROTOCOL) -> None:
        self.protocol = protocol

    def dump(self, value: Any, file: IO[bytes]) -> None:
        pickle.dump(value, file, protocol=self.protocol)

    def load(self, file: IO[bytes]) -> Any:
        return pickle.load(file)


class JsonSerializer:
    """JSON values (dicts, lists, str, numbers, bools, None): readable by any tool."""

    extension = "json"

    def dump(self, value: Any, file: IO[bytes]) -> None:
        file.write(json.dumps(value, separators=(",", ":")).encode())

    def load(self, file: IO[bytes]) -> Any:
        return json.loads(file.read())
