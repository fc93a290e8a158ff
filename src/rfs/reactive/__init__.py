"""Async Results: ``MonoResult`` (one lazy, awaitable Result) and ``FluxResult`` (many).

RFS v4's Reactor-style ``Flux`` and ``Mono`` (plain values, exceptions as errors),
``Operators``, ``Scheduler`` and ``ResultAsync`` load on first use.
"""

from rfs._lazy import lazy_exports
from rfs.reactive.flux_result import FluxResult
from rfs.reactive.mono_result import MonoResult, OperationTimeoutError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rfs.reactive.flux import Flux as Flux
    from rfs.reactive.mono import Mono as Mono
    from rfs.reactive.operators import Operators as Operators
    from rfs.reactive.result_async import ResultAsync as ResultAsync
    from rfs.reactive.schedulers import Scheduler as Scheduler

_EXPORTS = {
    "Flux": "rfs.reactive.flux",
    "Mono": "rfs.reactive.mono",
    "Operators": "rfs.reactive.operators",
    "ResultAsync": "rfs.reactive.result_async",
    "Scheduler": "rfs.reactive.schedulers",
}

__all__ = ["FluxResult", "MonoResult", "OperationTimeoutError", *_EXPORTS]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
