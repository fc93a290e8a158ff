"""The Celery application behind ``CeleryExecutor`` and ``rfs worker``: settings and the one task.

Every pipeline task runs through a single Celery task, :data:`TASK_NAME`, whose only argument is
the attempt message of :mod:`rfs.pipeline.executors.celery_wire` (JSON, signed with
``RFS_SIGNING_KEY`` when set; a message the worker refuses is logged and reported failed, and
runs nothing). The worker loads inputs and saves outputs through the attempt's I/O manager;
the result backend carries only the small outcome (status, ids, counts, error text).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, replace
from types import ModuleType
from typing import Any

from rfs._require import require
from rfs.pipeline.executors.attempt import AttemptOutcome, AttemptStatus
from rfs.pipeline.executors.celery_wire import (
    AttemptRejected,
    decode_attempt,
    encode_attempt,
    trust_task_modules,
)
from rfs.pipeline.executors.execute import run_attempt_sync

__all__ = [
    "DEFAULT_BACKEND_URL",
    "DEFAULT_BROKER_URL",
    "DEFAULT_QUEUE",
    "TASK_NAME",
    "celery_config",
    "create_celery_app",
    "decode_attempt",
    "encode_attempt",
    "outcome_from_dict",
    "outcome_to_dict",
    "run_attempt_task",
]

logger = logging.getLogger("rfs.pipeline.celery")

TASK_NAME = "rfs.pipeline.run_attempt"
DEFAULT_QUEUE = "rfs"
DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"
DEFAULT_BACKEND_URL = "redis://127.0.0.1:6379/0"

#: Publishing retries when the broker connection drops (seed 003's retry policy).
PUBLISH_RETRY_POLICY: dict[str, float] = {
    "max_retries": 3,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


def celery_config(
    *,
    broker_url: str,
    backend_url: str,
    queue: str = DEFAULT_QUEUE,
    time_limit: float = 30 * 60,
    soft_time_limit: float = 25 * 60,
    visibility_timeout: float = 60 * 60,
) -> dict[str, Any]:
    """Celery settings for pipeline work (seed 003's style, plus at-least-once delivery).

    ``time_limit``/``soft_time_limit`` are the defaults for tasks without a ``timeout`` (a
    task's own ``timeout`` becomes its soft limit). ``visibility_timeout`` only matters with
    a Redis broker: an unacknowledged task is redelivered after that many seconds, so set it
    above your longest task.
    """
    return {
        "broker_url": broker_url,
        "result_backend": backend_url,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "timezone": "UTC",
        "enable_utc": True,
        "task_track_started": True,
        # a task runs at least once: acknowledged only when it has finished, put back in
        # the queue when the worker running it dies, one message prefetched per process
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # time limits (seed 003): hard kill after time_limit, SoftTimeLimitExceeded before
        "task_time_limit": time_limit,
        "task_soft_time_limit": soft_time_limit,
        # publishing retries (seed 003's retry_policy)
        "task_publish_retry": True,
        "task_publish_retry_policy": PUBLISH_RETRY_POLICY,
        "task_default_queue": queue,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"visibility_timeout": visibility_timeout},
        "result_expires": 24 * 60 * 60,
        "worker_hijack_root_logger": False,
    }


def create_celery_app(
    broker_url: str | None = None,
    backend_url: str | None = None,
    *,
    main: str = "rfs",
    task_modules: Iterable[ModuleType] = (),
    **settings: Any,
) -> Any:
    """A Celery app with :func:`celery_config` settings and the pipeline task registered.

    URLs default to ``RFS_CELERY_BROKER_URL`` / ``RFS_CELERY_BACKEND_URL``, then to a local
    RabbitMQ broker and Redis backend. ``settings`` are passed to :func:`celery_config`
    when it takes them, else set on ``app.conf`` as they are. ``task_modules`` are the
    modules whose functions unsigned (JSON) attempts may run on a worker of this app.
    """
    Celery = require("celery", "celery", "CeleryExecutor and `rfs worker`").Celery
    broker = broker_url or os.environ.get("RFS_CELERY_BROKER_URL") or DEFAULT_BROKER_URL
    backend = backend_url or os.environ.get("RFS_CELERY_BACKEND_URL") or DEFAULT_BACKEND_URL
    known = {"queue", "time_limit", "soft_time_limit", "visibility_timeout"}
    config = celery_config(
        broker_url=broker,
        backend_url=backend,
        **{k: v for k, v in settings.items() if k in known},
    )
    config.update({k: v for k, v in settings.items() if k not in known})
    trust_task_modules(task_modules)
    app = Celery(main, set_as_current=False)
    app.conf.update(config)
    app.task(name=TASK_NAME, acks_late=True, reject_on_worker_lost=True)(run_attempt_task)
    return app


# -- outcomes ------------------------------------------------------------------------------------


def outcome_to_dict(outcome: AttemptOutcome) -> dict[str, Any]:
    """JSON-safe form of an outcome (what the result backend stores)."""
    data = asdict(outcome)
    data["status"] = outcome.status.value
    data["result_ids"] = list(outcome.result_ids)
    return data


def outcome_from_dict(data: dict[str, Any]) -> AttemptOutcome:
    """Inverse of :func:`outcome_to_dict`."""
    fields = dict(data)
    fields["status"] = AttemptStatus(fields["status"])
    fields["result_ids"] = tuple(fields.get("result_ids") or ())
    return AttemptOutcome(**fields)


# -- worker side ---------------------------------------------------------------------------------


def run_attempt_task(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Body of :data:`TASK_NAME` on a worker: check the message, run it, return the outcome.

    A message that fails the checks of :func:`decode_attempt` runs nothing: the reason is
    logged (``rfs.pipeline.celery``, warning) and returned as a failed, non-retryable outcome.
    """
    try:
        if len(args) != 1 or kwargs:
            raise AttemptRejected(
                f"expected one message argument, got {len(args)} and {len(kwargs)} keywords"
            )
        attempt = decode_attempt(args[0])
    except AttemptRejected as exc:
        logger.warning("refused a %s message: %s", TASK_NAME, exc)
        refused = AttemptOutcome.failed(
            f"the worker refused the attempt: {exc}", error_type="AttemptRejected", retryable=False
        )
        return outcome_to_dict(refused)
    outcome = run_attempt_sync(attempt)
    if outcome.error_type == "SoftTimeLimitExceeded":
        limit = f" after {attempt.timeout:g}s" if attempt.timeout else ""
        outcome = replace(
            outcome,
            status=AttemptStatus.TIMED_OUT,
            error=f"task {attempt.task_name!r} timed out{limit} (Celery soft time limit)",
            error_type="TimeoutError",
        )
    return outcome_to_dict(outcome)
