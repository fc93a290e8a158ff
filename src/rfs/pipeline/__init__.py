"""Pipelines: ``@task`` registry, DAG planner, I/O managers, executors and a durable run store."""
