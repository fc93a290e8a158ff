"""Combinators over many Results: ``combine``, ``first_success``, ``traverse``, ``lift``.

These complement :mod:`rfs.result` and keep RFS v4's helper names (``pipe_results``,
``sequence_m``, ``ResultM``...). Functions passed in that raise are bugs: the exception
propagates, except in ``try_except``/``result_of``/``result_decorator``, whose job is to catch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import singledispatch
from typing import Any, TypeVar

from rfs._aliases import accepts
from rfs.result import Failure, Result, Success, safe, sequence

__all__ = [
    "ResultM",
    "check_is_exception",
    "check_is_result_type",
    "combine",
    "failure",
    "first_success",
    "get_error",
    "get_value",
    "is_failure",
    "is_success",
    "lift",
    "lift2",
    "pipe_results",
    "result_decorator",
    "result_of",
    "sequence_m",
    "success",
    "take_until_failure",
    "traverse",
    "traverse_m",
    "try_except",
]

T = TypeVar("T")
E = TypeVar("E")
U = TypeVar("U")
V = TypeVar("V")


def success(value: T) -> Result[T, Any]:
    """``Success(value)``, typed as a Result."""
    return Success(value)


def failure(error: E) -> Result[Any, E]:
    """``Failure(error)``, typed as a Result."""
    return Failure(error)


def combine(*results: Result[Any, E]) -> Result[tuple[Any, ...], E]:
    """A tuple of all the values, or the first Failure."""
    return sequence(results).map(tuple)


def first_success(*results: Result[T, E]) -> Result[T, list[E]]:
    """The first Success, or a Failure listing every error in order."""
    errors: list[E] = []
    for result in results:
        if type(result) is Success:
            return result
        errors.append(result.unwrap_error())
    return Failure(errors)


@accepts(func="fn")
def traverse(items: Iterable[T], fn: Callable[[T], Result[U, E]]) -> Result[list[U], E]:
    """Apply ``fn`` to each item, stopping at the first Failure (later items are not touched)."""
    values: list[U] = []
    for item in items:
        result = fn(item)
        if type(result) is Failure:
            return result
        values.append(result.unwrap())
    return Success(values)


@accepts(func="fn")
def lift(fn: Callable[[T], U]) -> Callable[[Result[T, E]], Result[U, E]]:
    """Turn ``T -> U`` into ``Result[T, E] -> Result[U, E]``."""
    return lambda result: result.map(fn)


@accepts(func="fn")
def lift2(
    fn: Callable[[T, U], V],
) -> Callable[[Result[T, E], Result[U, E]], Result[V, E]]:
    """Turn ``(T, U) -> V`` into a function of two Results (first Failure wins)."""
    return lambda first, second: first.bind(lambda a: second.map(lambda b: fn(a, b)))


@accepts(func="fn")
def try_except(fn: Callable[[], T]) -> Result[T, Exception]:
    """Call ``fn()``; an exception becomes ``Failure(exc)``."""
    try:
        return Success(fn())
    except Exception as exc:
        return Failure(exc)


result_of = try_except


def get_value(result: Result[T, Any], default: T | None = None) -> T | None:
    """The value of a Success, else ``default``."""
    return result.unwrap_or(default)


def get_error(result: Result[Any, E]) -> E | None:
    """The error of a Failure, else None."""
    return result.get_error()


def is_success(result: Result[Any, Any]) -> bool:
    """``result.is_success()``, as a function (RFS v4)."""
    return result.is_success()


def is_failure(result: Result[Any, Any]) -> bool:
    """``result.is_failure()``, as a function (RFS v4)."""
    return result.is_failure()


def pipe_results(*funcs: Callable[[Any], Result[Any, Any]]) -> Callable[[Any], Result[Any, Any]]:
    """A function ``value -> Result`` binding ``funcs`` in order, stopping at the first Failure."""

    def pipeline(value: Any) -> Result[Any, Any]:
        result: Result[Any, Any] = Success(value)
        for func in funcs:
            if type(result) is Failure:
                break
            result = result.bind(func)
        return result

    return pipeline


result_decorator = safe
"""RFS v4's name for ``@safe``: exceptions raised by the function become ``Failure(exc)``."""


@singledispatch
def check_is_exception(obj: object) -> bool:
    """Whether ``obj`` is an ``Exception`` (a ``singledispatch`` function, as in v4)."""
    return False


@check_is_exception.register
def _(obj: Exception) -> bool:
    return True


@singledispatch
def check_is_result_type(obj: object) -> bool:
    """Whether ``obj`` is a ``Success`` or a ``Failure`` (a ``singledispatch`` function)."""
    return isinstance(obj, Result)


def sequence_m(results: Iterable[Result[T, E]]) -> Result[list[T], E]:
    """RFS v4's monadic ``sequence``: the same result as :func:`rfs.result.sequence`."""
    return sequence(results)


def traverse_m(func: Callable[[T], Result[U, E]], items: Iterable[T]) -> Result[list[U], E]:
    """RFS v4's monadic traverse (function first): ``traverse(items, func)``."""
    return traverse(items, func)


def take_until_failure(
    func: Callable[[list[T], T], list[T]], results: Iterable[Result[T, E]]
) -> Result[list[T], E]:
    """Fold the success values with ``func(acc, value)`` from ``[]``; the first Failure wins."""
    acc: list[T] = []
    for result in results:
        if type(result) is Failure:
            return result
        acc = func(acc, result.unwrap())
    return Success(acc)


class ResultM:
    """RFS v4's Haskell-style helpers over Results (``pure``, ``ap``, ``fold_m``...)."""

    @staticmethod
    def pure(value: T) -> Result[T, Any]:
        """``Success(value)``."""
        return Success(value)

    @staticmethod
    def wrap(result: Result[T, E]) -> Result[T, E]:
        """The Result itself (v4 rebuilt it)."""
        return result

    @staticmethod
    def kleisli_compose(
        f: Callable[[T], Result[U, E]], g: Callable[[U], Result[V, E]]
    ) -> Callable[[T], Result[V, E]]:
        """``f >=> g``: ``lambda x: f(x).bind(g)``."""
        return lambda x: f(x).bind(g)

    @staticmethod
    def lift_a2(func: Callable[[T, U], V], ra: Result[T, E], rb: Result[U, E]) -> Result[V, E]:
        """``func`` applied to two Results' values; the first Failure wins."""
        return ra.bind(lambda a: rb.map(lambda b: func(a, b)))

    @staticmethod
    def ap(rf: Result[Callable[[T], U], E], ra: Result[T, E]) -> Result[U, E]:
        """Apply the function inside ``rf`` to the value inside ``ra``."""
        return rf.bind(lambda f: ra.map(f))

    @staticmethod
    def traverse_a(func: Callable[[T], Result[U, E]], items: Iterable[T]) -> Result[list[U], E]:
        """``traverse(items, func)`` (v4's applicative name, function first)."""
        return traverse(items, func)

    @staticmethod
    def fold_m(func: Callable[[U, T], Result[U, E]], init: U, items: Iterable[T]) -> Result[U, E]:
        """Fold ``func(acc, item) -> Result`` from ``init``, stopping at the first Failure."""
        acc: Result[U, E] = Success(init)
        for item in items:
            acc = func(acc.unwrap(), item)
            if type(acc) is Failure:
                break
        return acc
