"""RFS: a Result-first framework for event-driven services and data pipelines.

Top-level names are loaded lazily (PEP 562), so ``import rfs`` stays cheap: a subsystem's
module is imported the first time one of its names is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it. Subsystems add their headline names here.
_EXPORTS: dict[str, str] = {
    # results
    "Result": "rfs.result",
    "Success": "rfs.result",
    "Failure": "rfs.result",
    "UnwrapError": "rfs.result",
    "safe": "rfs.result",
    "safe_async": "rfs.result",
    "sequence": "rfs.result",
    "collect": "rfs.result",
    "partition": "rfs.result",
    "from_optional": "rfs.result",
    "MonoResult": "rfs.reactive",
    "FluxResult": "rfs.reactive",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rfs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from rfs.reactive import FluxResult, MonoResult
    from rfs.result import (
        Failure,
        Result,
        Success,
        UnwrapError,
        collect,
        from_optional,
        partition,
        safe,
        safe_async,
        sequence,
    )
