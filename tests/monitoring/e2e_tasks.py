"""Pipeline tasks for the end-to-end correlation test (importable by worker processes)."""

from __future__ import annotations

import os

from rfs.monitoring import current_correlation_id
from rfs.pipeline import TaskRegistry

registry = TaskRegistry()


@registry.task(name="where")
def where() -> dict[str, object]:
    """The correlation id and process this attempt ran under."""
    return {"correlation_id": current_correlation_id(), "pid": os.getpid()}
