"""Serverless cold start: measure it and cut it.

``ColdStartOptimizer`` (seed 000) preloads modules and runs warm-ups with per-module and
per-warm-up timings; ``measure_cold_start`` (behind ``rfs coldstart``) starts an application
in fresh processes and reports time to ready and its import tree by cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rfs._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "ColdStartOptimizer": "rfs.serverless.cold_start",
    "StartupMetrics": "rfs.serverless.metrics",
    "ModuleImport": "rfs.serverless.metrics",
    "WarmupOutcome": "rfs.serverless.metrics",
    "WarmupFailed": "rfs.serverless.metrics",
    "ImportNode": "rfs.serverless.importtime",
    "parse_importtime": "rfs.serverless.importtime",
    "ColdStartReport": "rfs.serverless.measure",
    "ColdStartError": "rfs.serverless.measure",
    "measure_cold_start": "rfs.serverless.measure",
}

__all__ = [
    "ColdStartError",
    "ColdStartOptimizer",
    "ColdStartReport",
    "ImportNode",
    "ModuleImport",
    "StartupMetrics",
    "WarmupFailed",
    "WarmupOutcome",
    "measure_cold_start",
    "parse_importtime",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:
    from rfs.serverless.cold_start import ColdStartOptimizer as ColdStartOptimizer
    from rfs.serverless.importtime import ImportNode as ImportNode
    from rfs.serverless.importtime import parse_importtime as parse_importtime
    from rfs.serverless.measure import ColdStartError as ColdStartError
    from rfs.serverless.measure import ColdStartReport as ColdStartReport
    from rfs.serverless.measure import measure_cold_start as measure_cold_start
    from rfs.serverless.metrics import ModuleImport as ModuleImport
    from rfs.serverless.metrics import StartupMetrics as StartupMetrics
    from rfs.serverless.metrics import WarmupFailed as WarmupFailed
    from rfs.serverless.metrics import WarmupOutcome as WarmupOutcome
