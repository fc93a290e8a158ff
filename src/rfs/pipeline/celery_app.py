"""Compatibility path: the Celery app now lives beside its executor.

Use :mod:`rfs.pipeline.executors.celery_app`; this module re-exports its public names.
"""

from rfs.pipeline.executors.celery_app import *  # noqa: F403 - the same public names
from rfs.pipeline.executors.celery_app import __all__ as __all__
