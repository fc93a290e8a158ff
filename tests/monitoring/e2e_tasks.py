"""Pipeline tasks for the end-to-end correlation tests (importable by worker processes).

With ``RFS_TEST_WORKER_LOG`` set, the importing process (a Celery worker) writes rfs.monitoring
entries to that file as JSON lines, so a test can read the worker-side log."""

from __future__ import annotations

import os

from rfs.monitoring import configure_logging, current_correlation_id, log_info
from rfs.pipeline import TaskRegistry

if path := os.environ.get("RFS_TEST_WORKER_LOG"):
    configure_logging(json=True, logger="rfs.monitoring", stream=open(path, "a", buffering=1))  # noqa: SIM115

registry = TaskRegistry()


@registry.task(name="where")
def where() -> dict[str, object]:
    """The correlation id and process this attempt ran under (also logged)."""
    log_info("where ran", pid=os.getpid())
    return {"correlation_id": current_correlation_id(), "pid": os.getpid()}
