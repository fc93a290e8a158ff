"""Who owns an execution: this process's owner id, and whether a logged owner is dead."""

from __future__ import annotations

import os
import socket
import uuid

_TOKEN = uuid.uuid4().hex[:8]
_HOST = socket.gethostname()


def process_owner() -> str:
    """This process's owner id, ``host:pid:token`` (recomputed after a fork)."""
    return f"{_HOST}:{os.getpid()}:{_TOKEN}"


def owner_is_dead(owner: str) -> bool:
    """Whether ``owner`` is a process on this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner != process_owner()  # an earlier process that had our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
