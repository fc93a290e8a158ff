"""How entries become bytes for a shared store: JSON by default, pickle only when signed.

A shared store is another party: whoever can write to Redis could otherwise make this
process unpickle anything. ``JsonSerializer`` never executes code; ``SignedPickleSerializer``
refuses any payload whose HMAC-SHA256 (key: ``RFS_SIGNING_KEY``) does not match before
unpickling. ``loads`` raises ``ValueError`` on any bad input, which the backend counts as
a decode error and treats as a miss.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pickle
from typing import Any, Protocol

from rfs.cache.errors import CacheSerializationError
from rfs.cache.ports import Entry
from rfs.result import Failure, Success

__all__ = ["JsonSerializer", "Serializer", "SignedPickleSerializer"]

MAX_PAYLOAD = 64 * 1024 * 1024  # larger payloads are refused on read


class Serializer(Protocol):
    """Turns an ``Entry`` into bytes and back."""

    def dumps(self, entry: Entry) -> bytes:
        """Bytes for ``entry``; ``CacheSerializationError`` when its value cannot be stored."""
        ...

    def loads(self, data: bytes) -> Entry:
        """The entry in ``data``; ``ValueError`` for anything that is not one."""
        ...


def _split(entry: Entry) -> tuple[str, Any]:
    if isinstance(entry.value, Success):
        return "s", entry.value.value
    if isinstance(entry.value, Failure):
        return "f", entry.value.error
    return "v", entry.value


def _join(kind: str, value: Any, fresh: Any, stale: Any, tags: Any) -> Entry:
    if kind not in ("s", "f", "v") or not isinstance(tags, list):
        raise ValueError("not a cache entry")
    if not isinstance(fresh, int | float) or not isinstance(stale, int | float):
        raise ValueError("not a cache entry")
    if not all(isinstance(tag, str) for tag in tags):
        raise ValueError("not a cache entry")
    outcome = Success(value) if kind == "s" else Failure(value) if kind == "f" else value
    return Entry(outcome, float(fresh), float(stale), tuple(tags))


class JsonSerializer:
    """JSON values (dicts with str keys, lists, str, numbers, bools, None); tuples come back
    as lists. The default: any process or language can read it, none can inject code."""

    def dumps(self, entry: Entry) -> bytes:
        kind, value = _split(entry)
        try:
            body = json.dumps(
                [kind, value, entry.fresh_until, entry.stale_until, list(entry.tags)],
                separators=(",", ":"),
                ensure_ascii=False,
                allow_nan=False,
            )
        except (TypeError, ValueError) as exc:
            raise CacheSerializationError(
                f"cannot store a {type(value).__qualname__} as JSON ({exc}); return JSON data "
                "(dicts, lists, str, numbers), or use SignedPickleSerializer with RFS_SIGNING_KEY"
            ) from None
        return b"j" + body.encode()

    def loads(self, data: bytes) -> Entry:
        if len(data) > MAX_PAYLOAD or not data.startswith(b"j"):
            raise ValueError("not a JSON cache entry")
        try:
            decoded = json.loads(data[1:])
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"not a JSON cache entry: {exc}") from None
        if not isinstance(decoded, list) or len(decoded) != 5:
            raise ValueError("not a cache entry")
        kind, value, fresh, stale, tags = decoded
        return _join(kind, value, fresh, stale, tags)


class SignedPickleSerializer:
    """Any picklable value, signed with HMAC-SHA256; unsigned or tampered payloads are refused
    before ``pickle.loads`` runs. ``key`` defaults to the ``RFS_SIGNING_KEY`` variable."""

    def __init__(self, key: bytes | str | None = None) -> None:
        key = key if key is not None else os.environ.get("RFS_SIGNING_KEY")
        if not key:
            raise ValueError(
                "SignedPickleSerializer needs a key: pass key=... or set RFS_SIGNING_KEY "
                "(the same in every process sharing the cache)"
            )
        self._key = key.encode() if isinstance(key, str) else key

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def dumps(self, entry: Entry) -> bytes:
        kind, value = _split(entry)
        try:
            body = pickle.dumps(
                (kind, value, entry.fresh_until, entry.stale_until, list(entry.tags)),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        except Exception as exc:
            raise CacheSerializationError(
                f"cannot pickle a {type(value).__qualname__}: {exc}"
            ) from None
        return b"p" + self._mac(body) + body

    def loads(self, data: bytes) -> Entry:
        if len(data) > MAX_PAYLOAD or len(data) < 33 or not data.startswith(b"p"):
            raise ValueError("not a signed cache entry")
        mac, body = data[1:33], data[33:]
        if not hmac.compare_digest(mac, self._mac(body)):
            raise ValueError("cache entry signature does not match (refused unread)")
        try:
            kind, value, fresh, stale, tags = pickle.loads(body)  # nosec B301 # HMAC checked just above: only key holders' bytes
        except Exception as exc:
            raise ValueError(f"signed cache entry does not unpickle: {exc}") from None
        return _join(kind, value, fresh, stale, tags)
