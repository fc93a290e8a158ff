"""RFS: a Result-first framework for event-driven services and data pipelines.

Top-level names are loaded lazily (PEP 562), so ``import rfs`` stays cheap: a subsystem's
module is imported the first time one of its names is used.
"""

from __future__ import annotations

from rfs._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at startup

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
    "combine": "rfs.combinators",
    "first_success": "rfs.combinators",
    "traverse": "rfs.combinators",
    "Maybe": "rfs.monads",
    "Either": "rfs.monads",
    "MonoResult": "rfs.reactive",
    "FluxResult": "rfs.reactive",
    # results under RFS v4's top-level names
    "ResultAsync": "rfs.reactive",
    "Flux": "rfs.reactive",
    "Mono": "rfs.reactive",
    "result_of": "rfs.combinators",
    "maybe_of": "rfs.monads",
    "either_of": "rfs.monads",
    # dependency injection (the names RFS v4 exported from ``rfs``)
    "Port": "rfs.di",
    "Adapter": "rfs.di",
    "Component": "rfs.di",
    "UseCase": "rfs.di",
    "Controller": "rfs.di",
    "Service": "rfs.di",
    "Repository": "rfs.di",
    "Registry": "rfs.di",
    "Scope": "rfs.di",
    "ServiceScope": "rfs.di",
    "AnnotationRegistry": "rfs.di",
    "StatelessRegistry": "rfs.di",
    "ServiceRegistry": "rfs.di",
    "stateless": "rfs.di",
    "get_annotation_registry": "rfs.di",
    # transactions and sagas (also exported from ``rfs`` by RFS v4)
    "Transactional": "rfs.tx",
    "TransactionManager": "rfs.tx",
    "RedisTransaction": "rfs.tx",
    "DistributedTransaction": "rfs.tx",
    "Saga": "rfs.saga",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:
    from rfs.combinators import combine as combine
    from rfs.combinators import first_success as first_success
    from rfs.combinators import result_of as result_of
    from rfs.combinators import traverse as traverse
    from rfs.di import Adapter as Adapter
    from rfs.di import AnnotationRegistry as AnnotationRegistry
    from rfs.di import Component as Component
    from rfs.di import Controller as Controller
    from rfs.di import Port as Port
    from rfs.di import Registry as Registry
    from rfs.di import Repository as Repository
    from rfs.di import Scope as Scope
    from rfs.di import Service as Service
    from rfs.di import ServiceRegistry as ServiceRegistry
    from rfs.di import ServiceScope as ServiceScope
    from rfs.di import StatelessRegistry as StatelessRegistry
    from rfs.di import UseCase as UseCase
    from rfs.di import get_annotation_registry as get_annotation_registry
    from rfs.di import stateless as stateless
    from rfs.monads import Either as Either
    from rfs.monads import Maybe as Maybe
    from rfs.monads import either_of as either_of
    from rfs.monads import maybe_of as maybe_of
    from rfs.reactive import Flux as Flux
    from rfs.reactive import FluxResult as FluxResult
    from rfs.reactive import Mono as Mono
    from rfs.reactive import MonoResult as MonoResult
    from rfs.reactive import ResultAsync as ResultAsync
    from rfs.result import Failure as Failure
    from rfs.result import Result as Result
    from rfs.result import Success as Success
    from rfs.result import UnwrapError as UnwrapError
    from rfs.result import collect as collect
    from rfs.result import from_optional as from_optional
    from rfs.result import partition as partition
    from rfs.result import safe as safe
    from rfs.result import safe_async as safe_async
    from rfs.result import sequence as sequence
    from rfs.saga import Saga as Saga
    from rfs.tx import DistributedTransaction as DistributedTransaction
    from rfs.tx import RedisTransaction as RedisTransaction
    from rfs.tx import Transactional as Transactional
    from rfs.tx import TransactionManager as TransactionManager
