"""HMAC-SHA256 signatures for bytes that are unpickled later: attempts on a broker, outputs on disk.

The key is a shared secret: an explicit one, else the ``RFS_SIGNING_KEY`` environment variable
(read when a blob is signed or checked, so each process uses its own environment). A signed
blob is ``MAGIC + HMAC(key, purpose + NUL + data) + data``; the purpose keeps a blob signed for
one use (an output file) from being accepted for another (a task attempt).
"""

from __future__ import annotations

import hashlib
import hmac
import os

__all__ = [
    "KEY_ENV",
    "MAGIC",
    "SignatureError",
    "digest",
    "is_signed",
    "sign",
    "signing_key",
    "verify",
]

#: environment variable holding the shared signing key
KEY_ENV = "RFS_SIGNING_KEY"
#: first bytes of a signed blob
MAGIC = b"RFS-HMAC-SHA256\n"
_DIGEST_SIZE = hashlib.sha256().digest_size


class SignatureError(ValueError):
    """A blob that must be signed is not, or its signature does not match the key."""


def signing_key(explicit: bytes | str | None = None) -> bytes | None:
    """``explicit`` as bytes, else ``RFS_SIGNING_KEY`` (UTF-8); ``None`` when neither is set."""
    key = explicit if explicit is not None else os.environ.get(KEY_ENV) or None
    if key is None:
        return None
    return key.encode() if isinstance(key, str) else bytes(key)


def digest(key: bytes, purpose: str, data: bytes) -> bytes:
    """The HMAC-SHA256 of ``data`` for ``purpose`` under ``key``."""
    return hmac.new(key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()


def sign(key: bytes, purpose: str, data: bytes) -> bytes:
    """``data`` with its signature in front (see the module docstring for the layout)."""
    return MAGIC + digest(key, purpose, data) + data


def is_signed(blob: bytes) -> bool:
    """Whether ``blob`` has the signed layout (says nothing about the signature's validity)."""
    return blob.startswith(MAGIC) and len(blob) >= len(MAGIC) + _DIGEST_SIZE


def verify(key: bytes, purpose: str, blob: bytes) -> bytes:
    """The data of a signed ``blob``; :class:`SignatureError` when unsigned or not matching."""
    if not is_signed(blob):
        raise SignatureError(f"not signed ({purpose}): expected a blob written with a key")
    start = len(MAGIC)
    given, data = blob[start : start + _DIGEST_SIZE], blob[start + _DIGEST_SIZE :]
    if not hmac.compare_digest(given, digest(key, purpose, data)):
        raise SignatureError(f"bad signature ({purpose}): tampered, or signed with another key")
    return data
