"""Async Results: ``MonoResult`` (one lazy, awaitable Result) and ``FluxResult`` (many)."""

from rfs.reactive.flux_result import FluxResult
from rfs.reactive.mono_result import MonoResult, OperationTimeoutError

__all__ = ["FluxResult", "MonoResult", "OperationTimeoutError"]
