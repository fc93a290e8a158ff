"""Task ids: uuid4 strings from batched ``os.urandom`` (one system call per 256 ids).

``uuid.uuid4()`` makes a system call and an object per id, a large share of a no-op task's
cost; the batch is dropped in a forked child, so two processes never hand out the same ids.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

__all__ = ["new_id"]

_BATCH = 256


def _ids() -> Iterator[str]:
    while True:
        raw = bytearray(os.urandom(16 * _BATCH))
        for i in range(0, len(raw), 16):
            raw[i + 6] = (raw[i + 6] & 0x0F) | 0x40  # version 4
            raw[i + 8] = (raw[i + 8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        for i in range(0, len(h), 32):
            a, b, c, d, e = (
                h[i : i + 8],
                h[i + 8 : i + 12],
                h[i + 12 : i + 16],
                h[i + 16 : i + 20],
                h[i + 20 : i + 32],
            )
            yield f"{a}-{b}-{c}-{d}-{e}"


_source = _ids()


def _reset() -> None:
    global _source
    _source = _ids()


os.register_at_fork(after_in_child=_reset)


def new_id() -> str:
    """A random uuid4 string (version and variant bits set)."""
    return next(_source)
