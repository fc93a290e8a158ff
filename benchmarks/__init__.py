"""Runnable comparisons against peer libraries; ``python -m benchmarks [name ...]``."""
