"""Railway-style results: ``Result[T, E]`` is either ``Success(value)`` or ``Failure(error)``.

Both variants are immutable, hashable when their content is, usable in ``match`` and
generic for type checkers with no plugin. Methods dispatch on the variant's class, so a
chain on a ``Failure`` returns the same object at every step and allocates nothing.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable, Iterable
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    NoReturn,
    ParamSpec,
    TypeAlias,
    TypeVar,
    overload,
)

__all__ = [
    "Failure",
    "Result",
    "Success",
    "UnwrapError",
    "collect",
    "from_optional",
    "is_failure",
    "is_success",
    "partition",
    "safe",
    "safe_async",
    "sequence",
]

T = TypeVar("T")
E = TypeVar("E")
U = TypeVar("U")
F = TypeVar("F")
P = ParamSpec("P")
T_co = TypeVar("T_co", covariant=True)
E_co = TypeVar("E_co", covariant=True)


class UnwrapError(ValueError):
    """Raised by ``unwrap``-style calls on the wrong variant; ``.result`` holds the Result.

    A ``ValueError``, as RFS v4's ``Failure.unwrap()`` raised for a non-exception error.
    """

    def __init__(self, result: Result[Any, Any], message: str) -> None:
        super().__init__(message)
        self.result = result


BOOL_MESSAGE = (
    "the truth value of a Result is ambiguous: use result.is_success() or "
    "result.is_failure() (or `result is not None` for an optional Result)"
)

if TYPE_CHECKING:
    from typing_extensions import TypeIs  # typing.TypeIs from 3.13; checkers only

    _Variant = object
else:

    class Result(Generic[T_co, E_co]):
        """Runtime base of ``Success`` and ``Failure``, for ``isinstance`` and ``Result[T, E]``.

        Type checkers see ``Result[T, E]`` as the union ``Success[T] | Failure[E]`` (declared at
        the end of this module), so ``match`` is exhaustive and narrows with no plugin.
        """

        __slots__ = ()

    _Variant = Result


class Success(_Variant, Generic[T_co]):
    """The successful variant, holding ``value``."""

    __slots__ = ("value",)
    __match_args__ = ("value",)
    value: T_co

    def __init__(self, value: T_co) -> None:
        _set_value(self, value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Success is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Success is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"Success({self.value!r})"

    def __str__(self) -> str:
        return f"Success({self.value})"

    def __eq__(self, other: object) -> bool:
        return type(other) is Success and self.value == other.value

    def __ne__(self, other: object) -> bool:
        return not (type(other) is Success and self.value == other.value)

    def __hash__(self) -> int:
        return hash((Success, self.value))

    def __reduce__(self) -> tuple[type[Success[T_co]], tuple[T_co]]:
        return (Success, (self.value,))

    def __bool__(self) -> NoReturn:
        raise TypeError(BOOL_MESSAGE)

    # Queries and extraction.
    def is_success(self) -> Literal[True]:
        return True

    def is_failure(self) -> Literal[False]:
        return False

    def unwrap(self) -> T_co:
        return self.value

    def unwrap_error(self) -> NoReturn:
        raise UnwrapError(self, f"unwrap_error() called on {self!r}")

    def unwrap_or(self, default: object) -> T_co:
        return self.value

    def unwrap_or_else(self, fn: Callable[[Any], object]) -> T_co:
        return self.value

    def expect(self, message: str) -> T_co:
        return self.value

    def get(self) -> T_co:
        return self.value

    def get_or_none(self) -> T_co:
        return self.value

    def get_error(self) -> None:
        return None

    # Combinators.
    def map(self, fn: Callable[[T_co], U]) -> Success[U]:
        return Success(fn(self.value))

    def map_error(self, fn: Callable[[Any], object]) -> Success[T_co]:
        return self

    def bind(self, fn: Callable[[T_co], Result[U, F]]) -> Result[U, F]:
        return fn(self.value)

    flat_map = bind

    def or_else(self, fn: Callable[[Any], object]) -> Success[T_co]:
        return self

    def tap(self, fn: Callable[[T_co], object]) -> Success[T_co]:
        fn(self.value)
        return self

    def tap_error(self, fn: Callable[[Any], object]) -> Success[T_co]:
        return self

    def filter(
        self, predicate: Callable[[T_co], bool], error: F | Callable[[T_co], F]
    ) -> Result[T_co, F]:
        if predicate(self.value):
            return self
        return Failure(error(self.value) if callable(error) else error)

    ensure = filter

    async def map_async(self, fn: Callable[[T_co], Awaitable[U]]) -> Success[U]:
        return Success(await fn(self.value))

    async def bind_async(self, fn: Callable[[T_co], Awaitable[Result[U, F]]]) -> Result[U, F]:
        return await fn(self.value)


class Failure(_Variant, Generic[E_co]):
    """The failed variant, holding ``error``."""

    __slots__ = ("error",)
    __match_args__ = ("error",)
    error: E_co

    def __init__(self, error: E_co) -> None:
        _set_error(self, error)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Failure is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Failure is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"Failure({self.error!r})"

    def __str__(self) -> str:
        return f"Failure({self.error})"

    def __eq__(self, other: object) -> bool:
        return type(other) is Failure and self.error == other.error

    def __ne__(self, other: object) -> bool:
        return not (type(other) is Failure and self.error == other.error)

    def __hash__(self) -> int:
        return hash((Failure, self.error))

    def __reduce__(self) -> tuple[type[Failure[E_co]], tuple[E_co]]:
        return (Failure, (self.error,))

    def __bool__(self) -> NoReturn:
        raise TypeError(BOOL_MESSAGE)

    # Queries and extraction.
    def is_success(self) -> Literal[False]:
        return False

    def is_failure(self) -> Literal[True]:
        return True

    def unwrap(self) -> NoReturn:
        error = self.error
        exc = UnwrapError(self, f"Failure unwrap: {error}")
        if isinstance(error, BaseException):
            raise exc from error
        raise exc

    def unwrap_error(self) -> E_co:
        return self.error

    def unwrap_or(self, default: U) -> U:
        return default

    def unwrap_or_else(self, fn: Callable[[E_co], U]) -> U:
        return fn(self.error)

    def expect(self, message: str) -> NoReturn:
        error = self.error
        exc = UnwrapError(self, f"{message}: {error!r}")
        if isinstance(error, BaseException):
            raise exc from error
        raise exc

    def get(self) -> None:
        return None

    def get_or_none(self) -> None:
        return None

    def get_error(self) -> E_co:
        return self.error

    # Combinators: the Failure path returns ``self`` and allocates nothing.
    def map(self, fn: Callable[[Any], object]) -> Failure[E_co]:
        return self

    def map_error(self, fn: Callable[[E_co], F]) -> Failure[F]:
        return Failure(fn(self.error))

    def bind(self, fn: Callable[[Any], object]) -> Failure[E_co]:
        return self

    flat_map = bind

    def or_else(self, fn: Callable[[E_co], Result[U, F]]) -> Result[U, F]:
        return fn(self.error)

    def tap(self, fn: Callable[[Any], object]) -> Failure[E_co]:
        return self

    def tap_error(self, fn: Callable[[E_co], object]) -> Failure[E_co]:
        fn(self.error)
        return self

    def filter(self, predicate: Callable[[Any], bool], error: object) -> Failure[E_co]:
        return self

    ensure = filter

    async def map_async(self, fn: Callable[[Any], object]) -> Failure[E_co]:
        return self

    async def bind_async(self, fn: Callable[[Any], object]) -> Failure[E_co]:
        return self


if TYPE_CHECKING:
    Result: TypeAlias = Success[T_co] | Failure[E_co]

_set_value = Success.__dict__["value"].__set__
_set_error = Failure.__dict__["error"].__set__


# Helpers -------------------------------------------------------------------------------

_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect at startup


def _is_coroutine_function(func: object) -> bool:
    code = getattr(func, "__code__", None)
    return code is not None and bool(code.co_flags & _CO_COROUTINE)


@overload
def safe(fn: Callable[P, T], /) -> Callable[P, Result[T, Exception]]: ...
@overload
def safe(
    *, exceptions: tuple[type[Exception], ...] = ...
) -> Callable[[Callable[P, T]], Callable[P, Result[T, Exception]]]: ...
def safe(
    fn: Callable[P, T] | None = None,
    /,
    *,
    exceptions: tuple[type[Exception], ...] = (Exception,),
) -> Any:
    """Wrap a function so that raised exceptions become ``Failure(exc)``.

    Use bare (``@safe``) or with ``exceptions=`` to catch only some types; others propagate,
    since an unexpected exception is usually a bug.
    """

    def decorate(func: Callable[P, T]) -> Callable[P, Result[T, Exception]]:
        if _is_coroutine_function(func):
            raise TypeError(f"{func.__qualname__} is async: use @safe_async")

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Result[T, Exception]:
            try:
                return Success(func(*args, **kwargs))
            except exceptions as exc:
                return Failure(exc)

        return wrapper

    return decorate if fn is None else decorate(fn)


@overload
def safe_async(
    fn: Callable[P, Awaitable[T]], /
) -> Callable[P, Awaitable[Result[T, Exception]]]: ...
@overload
def safe_async(
    *, exceptions: tuple[type[Exception], ...] = ...
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[Result[T, Exception]]]]: ...
def safe_async(
    fn: Callable[P, Awaitable[T]] | None = None,
    /,
    *,
    exceptions: tuple[type[Exception], ...] = (Exception,),
) -> Any:
    """Async counterpart of :func:`safe`. Cancellation is never turned into a Failure."""

    def decorate(
        func: Callable[P, Awaitable[T]],
    ) -> Callable[P, Awaitable[Result[T, Exception]]]:
        @functools.wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Result[T, Exception]:
            try:
                return Success(await func(*args, **kwargs))
            except exceptions as exc:
                return Failure(exc)

        return wrapper

    return decorate if fn is None else decorate(fn)


def sequence(results: Iterable[Result[T, E]]) -> Result[list[T], E]:
    """Turn Results into a Result of a list; the first Failure wins and stops the walk."""
    values: list[T] = []
    append = values.append
    for result in results:
        if type(result) is Failure:
            return result
        append(result.value)  # type: ignore[union-attr]
    return Success(values)


collect = sequence


def is_success(result: Result[T, E]) -> TypeIs[Success[T]]:
    """True for a ``Success``; narrows ``result`` for mypy and pyright (PEP 742 ``TypeIs``).

    The method ``result.is_success()`` answers the same but cannot narrow: a type guard
    narrows an argument, never ``self``. Use this function, ``match`` or ``isinstance``
    where the checker should then allow ``.value`` (``else`` narrows to ``Failure``).
    """
    return type(result) is Success


def is_failure(result: Result[T, E]) -> TypeIs[Failure[E]]:
    """True for a ``Failure``; narrows ``result`` to ``Failure[E]`` (``else``: ``Success[T]``)."""
    return type(result) is Failure


def partition(results: Iterable[Result[T, E]]) -> tuple[list[T], list[E]]:
    """Split Results into ``(success values, errors)``, keeping order within each."""
    values: list[T] = []
    errors: list[E] = []
    for result in results:
        if type(result) is Success:
            values.append(result.value)
        else:
            errors.append(result.error)  # type: ignore[union-attr]
    return values, errors


@overload
def from_optional(value: T | None) -> Result[T, ValueError]: ...
@overload
def from_optional(value: T | None, error: E) -> Result[T, E]: ...
def from_optional(value: Any, error: Any = None) -> Result[Any, Any]:
    """``Success(value)`` unless ``value`` is None, then ``Failure(error)``.

    Without ``error``, the Failure carries ``ValueError("None value")`` (as RFS v4 did).
    """
    if value is None:
        return Failure(ValueError("None value") if error is None else error)
    return Success(value)


# The C hot path (rfs/_speedups.c) replaces the classes above when it is built; it copies
# every method it does not implement itself from them, so behaviour is defined once, here.
SPEEDUPS = False
if not TYPE_CHECKING and os.environ.get("RFS_PURE_PYTHON") != "1":
    try:
        from rfs._speedups import accelerate
    except ImportError:  # no compiler at install time: the pure-Python classes serve
        pass
    else:
        Result, Success, Failure = accelerate(Success, Failure, BOOL_MESSAGE)
        SPEEDUPS = True
