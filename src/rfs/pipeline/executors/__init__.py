"""Executors: run one task attempt in-process, in worker processes or on Celery workers."""
