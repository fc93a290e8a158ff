"""Serializers for stored outputs: pickle (default), JSON, Parquet; each names its extension.

Loading a pickle runs whatever code the file names, so pickled outputs are only as safe as
the storage they sit on. :class:`PickleSerializer` signs what it writes and checks the
signature before unpickling when a key is configured (``key=`` or ``RFS_SIGNING_KEY``).
"""

from __future__ import annotations

import json
import pickle
from typing import IO, Any, Protocol, runtime_checkable

from rfs._require import require
from rfs.pipeline.signing import SignatureError, is_signed, sign, signing_key, verify

__all__ = [
    "JsonSerializer",
    "OutputSignatureError",
    "ParquetSerializer",
    "PickleSerializer",
    "Serializer",
]

_PURPOSE = "rfs.pipeline output"


class OutputSignatureError(SignatureError):
    """A pickled output that is unsigned or wrongly signed while a key is configured."""


@runtime_checkable
class Serializer(Protocol):
    """Writes a value to a binary file and reads it back."""

    extension: str

    def dump(self, value: Any, file: IO[bytes]) -> None: ...

    def load(self, file: IO[bytes]) -> Any: ...


class PickleSerializer:
    """Any picklable Python value (the default).

    **Unpickling runs code**: whoever can write the output storage can make the next
    ``load`` (a downstream task, ``rfs run --resume``, ``RunResult.output``) run anything.
    With a key (``key=...``, else the ``RFS_SIGNING_KEY`` environment variable, read at
    each dump and load) every file is written with an HMAC-SHA256 signature and checked
    before anything is unpickled: an unsigned or altered file raises
    :class:`OutputSignatureError` instead. Without a key, files are plain pickles (and a
    signed file cannot be loaded until the key is set).
    """

    extension = "pkl"

    def __init__(
        self, protocol: int = pickle.HIGHEST_PROTOCOL, *, key: bytes | str | None = None
    ) -> None:
        self.protocol = protocol
        self.key = key

    def dump(self, value: Any, file: IO[bytes]) -> None:
        data = pickle.dumps(value, protocol=self.protocol)
        key = signing_key(self.key)
        file.write(data if key is None else sign(key, _PURPOSE, data))

    def load(self, file: IO[bytes]) -> Any:
        blob = file.read()
        key = signing_key(self.key)
        name = getattr(file, "name", "output")
        if key is not None:
            try:
                blob = verify(key, _PURPOSE, blob)
            except SignatureError as exc:
                raise OutputSignatureError(
                    f"refusing to unpickle {name}: {exc}. It was not written by a process "
                    "holding this signing key (RFS_SIGNING_KEY or key=); delete it to run "
                    "the task again"
                ) from None
        elif is_signed(blob):
            raise OutputSignatureError(
                f"{name} is a signed pickle: set RFS_SIGNING_KEY (or pass key=) to load it"
            )
        return pickle.loads(blob)  # nosec B301 # outputs this application wrote (signed when keyed)

    def __repr__(self) -> str:
        return f"PickleSerializer(protocol={self.protocol})"


class JsonSerializer:
    """JSON values (dicts, lists, str, numbers, bools, None): readable by any tool."""

    extension = "json"

    def dump(self, value: Any, file: IO[bytes]) -> None:
        file.write(json.dumps(value, separators=(",", ":")).encode())

    def load(self, file: IO[bytes]) -> Any:
        return json.loads(file.read())


class ParquetSerializer:
    """Tables as Parquet (``pip install 'rfs[parquet]'``): ``pyarrow.Table`` or pandas
    DataFrames in, ``pyarrow.Table`` out (``.to_pandas()`` when you want a DataFrame)."""

    extension = "parquet"

    def __init__(self) -> None:
        require("parquet", "pyarrow", "ParquetSerializer")

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
