"""Serializers for stored outputs: pickle (default), JSON, Parquet; each names its extension."""

from __future__ import annotations

import importlib.util
import json
import pickle
from typing import IO, Any, Protocol, runtime_checkable

__all__ = ["JsonSerializer", "ParquetSerializer", "PickleSerializer", "Serializer"]


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


class ParquetSerializer:
    """Tables as Parquet (``pip install pyarrow``): ``pyarrow.Table`` or pandas DataFrames in,
    ``pyarrow.Table`` out (``.to_pandas()`` when you want a DataFrame)."""

    extension = "parquet"

    def __init__(self) -> None:
        if importlib.util.find_spec("pyarrow") is None:
            raise ImportError("ParquetSerializer needs pyarrow: pip install pyarrow")

    def dump(self, value: Any, file: IO[bytes]) -> None:
        import pyarrow as pa  # type: ignore[import-not-found, import-untyped, unused-ignore]
        import pyarrow.parquet as pq  # type: ignore[import-not-found, import-untyped, unused-ignore]

        if not isinstance(value, pa.Table):
            if not hasattr(value, "to_dict"):  # not a DataFrame either
                raise TypeError(
                    f"ParquetSerializer stores tables, not {type(value).__name__}; return a "
                    "pyarrow.Table or a pandas DataFrame"
                )
            value = pa.Table.from_pandas(value)
        pq.write_table(value, file)

    def load(self, file: IO[bytes]) -> Any:
        import pyarrow.parquet as pq  # type: ignore[import-not-found, import-untyped, unused-ignore]

        return pq.read_table(file)
