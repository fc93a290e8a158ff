"""RFS v4 path for the Result core: re-exports :mod:`rfs.result`, combinators and monads.

Every public name of v4's ``rfs.core.result`` is here. The async ones (``ResultAsync``,
``sequence_async``...) live in :mod:`rfs.reactive.result_async` and load on first use, so
importing this module stays as cheap as ``rfs.result``.
"""

from rfs._lazy import lazy_exports
from rfs.combinators import (
    ResultM,
    check_is_exception,
    check_is_result_type,
    combine,
    failure,
    first_success,
    get_error,
    get_value,
    is_failure,
    is_success,
    lift,
    lift2,
    pipe_results,
    result_decorator,
    result_of,
    sequence_m,
    success,
    take_until_failure,
    traverse,
    traverse_m,
    try_except,
)
from rfs.monads import (
    Either,
    Maybe,
    either_of,
    either_to_result,
    left,
    maybe_of,
    maybe_to_result,
    none,
    result_to_either,
    result_to_maybe,
    right,
    sequence_either,
    sequence_maybe,
    some,
    traverse_either,
    traverse_maybe,
)
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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rfs.reactive.result_async import ResultAsync as ResultAsync
    from rfs.reactive.result_async import async_failure as async_failure
    from rfs.reactive.result_async import async_pipe_results as async_pipe_results
    from rfs.reactive.result_async import async_result_decorator as async_result_decorator
    from rfs.reactive.result_async import async_success as async_success
    from rfs.reactive.result_async import async_try_except as async_try_except
    from rfs.reactive.result_async import from_awaitable as from_awaitable
    from rfs.reactive.result_async import sequence_async as sequence_async
    from rfs.reactive.result_async import sequence_async_v4 as sequence_async_v4
    from rfs.reactive.result_async import traverse_async as traverse_async

_ASYNC = "rfs.reactive.result_async"
_EXPORTS = {
    name: _ASYNC
    for name in (
        "ResultAsync",
        "async_failure",
        "async_pipe_results",
        "async_result_decorator",
        "async_success",
        "async_try_except",
        "from_awaitable",
        "sequence_async",
        "sequence_async_v4",
        "traverse_async",
    )
}

__all__ = [
    "Either",
    "Failure",
    "Maybe",
    "Result",
    "ResultM",
    "Success",
    "UnwrapError",
    "check_is_exception",
    "check_is_result_type",
    "collect",
    "combine",
    "either_of",
    "either_to_result",
    "failure",
    "first_success",
    "from_optional",
    "get_error",
    "get_value",
    "is_failure",
    "is_success",
    "left",
    "lift",
    "lift2",
    "maybe_of",
    "maybe_to_result",
    "none",
    "partition",
    "pipe_results",
    "result_decorator",
    "result_of",
    "result_to_either",
    "result_to_maybe",
    "right",
    "safe",
    "safe_async",
    "sequence",
    "sequence_either",
    "sequence_m",
    "sequence_maybe",
    "some",
    "success",
    "take_until_failure",
    "traverse",
    "traverse_either",
    "traverse_m",
    "traverse_maybe",
    "try_except",
    *_EXPORTS,
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
