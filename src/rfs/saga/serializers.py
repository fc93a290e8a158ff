"""How a durable saga log turns a saga context into bytes and back (JSON or pickle)."""

from __future__ import annotations

import json
import pickle
from typing import Any, Protocol

from rfs.saga.errors import ContextNotSerializable


class Serializer(Protocol):
    """Bytes in, object out; ``dumps`` raises ContextNotSerializable on bad input."""

    name: str

    def dumps(self, value: Any) -> bytes: ...
    def loads(self, data: bytes) -> Any: ...


class JsonSerializer:
    """JSON (the default): readable in ``rfs saga show``; tuples come back as lists."""

    name = "json"

    def dumps(self, value: Any) -> bytes:
        try:
            return json.dumps(value, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise ContextNotSerializable(
                f"saga context of type {type(value).__name__} is not JSON-serialisable ({exc});"
                " pass JSON data (dicts, lists, str, numbers) or use SagaLog(serializer='pickle')"
            ) from exc

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


class PickleSerializer:
    """Pickle: any picklable context; only read logs you wrote yourself."""

    name = "pickle"

    def dumps(self, value: Any) -> bytes:
        try:
            return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ContextNotSerializable(f"saga context cannot be pickled: {exc}") from exc

    def loads(self, data: bytes) -> Any:
        return pickle.loads(data)  # nosec B301 # opt-in serializer for a log this application writes


def get_serializer(spec: str | Serializer) -> Serializer:
    """``"json"``, ``"pickle"`` or a serializer object."""
    if not isinstance(spec, str):
        return spec
    if spec == "json":
        return JsonSerializer()
    if spec == "pickle":
        return PickleSerializer()
    raise ValueError(f"unknown saga serializer {spec!r}; use 'json', 'pickle' or an object")
