"""How a durable saga log turns a saga context into bytes and back (JSON or pickle).

Naming: a *codec* turns a value into bytes and back (``JsonCodec``, ``PickleCodec``); a
*serializer* in rfs writes a value to a file (``rfs.pipeline.JsonSerializer``). The old names
``JsonSerializer``/``PickleSerializer`` here stay as aliases of the codecs.

Pickle runs code while it loads: only read pickled logs nobody else can write, or sign
them. With a signing key (``signing_key=`` or ``RFS_SIGNING_KEY``) each pickled context is
stored behind an HMAC-SHA256 of its bytes, checked before anything is unpickled.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
from typing import Any, Protocol

from rfs.saga.errors import ContextNotSerializable, TamperedRecord

_SIGNED = b"rfs-hmac1:"
_MAC_SIZE = hashlib.sha256().digest_size


class Serializer(Protocol):
    """Bytes in, object out; ``dumps`` raises ContextNotSerializable on bad input."""

    name: str

    def dumps(self, value: Any) -> bytes: ...
    def loads(self, data: bytes) -> Any: ...


class JsonCodec:
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


class PickleCodec:
    """Pickle: any picklable context. Signed and checked on load when given a ``key``."""

    name = "pickle"

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key

    def dumps(self, value: Any) -> bytes:
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise ContextNotSerializable(f"saga context cannot be pickled: {exc}") from exc
        if self._key is None:
            return data
        return _SIGNED + self._mac(data) + data

    def loads(self, data: bytes) -> Any:
        if self._key is None:
            if data.startswith(_SIGNED):
                raise TamperedRecord(
                    "the context is signed but this log has no signing key;"
                    " pass SagaLog(signing_key=...) or set RFS_SIGNING_KEY"
                )
            return pickle.loads(data)  # nosec B301 # unsigned pickle only when the user opted in to trusting the log
        body = data[len(_SIGNED) + _MAC_SIZE :]
        mac = data[len(_SIGNED) : len(_SIGNED) + _MAC_SIZE]
        if not data.startswith(_SIGNED) or not hmac.compare_digest(mac, self._mac(body)):
            raise TamperedRecord(
                "the pickled context's signature does not match the signing key"
                " (written by someone else, or with another key): not unpickled"
            )
        return pickle.loads(body)  # nosec B301 # HMAC verified just above

    def _mac(self, data: bytes) -> bytes:
        assert self._key is not None
        return hmac.new(self._key, data, hashlib.sha256).digest()


def resolve_key(key: bytes | str | None) -> bytes | None:
    """The explicit key, else ``RFS_SIGNING_KEY`` from the environment, else ``None``."""
    if key is None:
        key = os.environ.get("RFS_SIGNING_KEY") or None
    if isinstance(key, str):
        return key.encode()
    return key


def get_serializer(spec: str | Serializer, *, key: bytes | None = None) -> Serializer:
    """``"json"``, ``"pickle"`` (signed with ``key`` when given) or a serializer object."""
    if not isinstance(spec, str):
        return spec
    if spec == "json":
        return JsonCodec()
    if spec == "pickle":
        return PickleCodec(key)
    raise ValueError(f"unknown saga serializer {spec!r}; use 'json', 'pickle' or an object")


JsonSerializer = JsonCodec
"""Old name of :class:`JsonCodec`."""
PickleSerializer = PickleCodec
"""Old name of :class:`PickleCodec`."""
