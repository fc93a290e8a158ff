"""Tests of the distributed executors (multiprocess, Celery) and ``rfs worker``."""
