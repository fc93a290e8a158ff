"""Compatibility path: the Celery app now lives beside its executor.

Use :mod:`rfs.pipeline.executors.celery_app`; this module re-exports its public names.
"""

from rfs.pipeline.executors.celery_app import (
    DEFAULT_BACKEND_URL,
    DEFAULT_BROKER_URL,
    DEFAULT_QUEUE,
    TASK_NAME,
    celery_config,
    create_celery_app,
    decode_attempt,
    encode_attempt,
    outcome_from_dict,
    outcome_to_dict,
)

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
]
