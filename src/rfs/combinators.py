"""Combinators over many Results: ``combine``, ``first_success``, ``traverse``, ``lift``.

These complement :mod:`rfs.result` and keep RFS v4's helper names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from rfs.result import Failure, Result, Success, sequence

__all__ = [
    "combine",
    "failure",
    "first_success",
    "get_error",
    "get_value",
    "lift",
    "lift2",
    "result_of",
    "success",
    "traverse",
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


def traverse(items: Iterable[T], fn: Callable[[T], Result[U, E]]) -> Result[list[U], E]:
    """Apply ``fn`` to each item, stopping at the first Failure (later items are not touched)."""
    values: list[U] = []
    for item in items:
        result = fn(item)
        if type(result) is Failure:
            return result
        values.append(result.unwrap())
    return Success(values)


def lift(fn: Callable[[T], U]) -> Callable[[Result[T, E]], Result[U, E]]:
    """Turn ``T -> U`` into ``Result[T, E] -> Result[U, E]``."""
    return lambda result: result.map(fn)


def lift2(
    fn: Callable[[T, U], V],
) -> Callable[[Result[T, E], Result[U, E]], Result[V, E]]:
    """Turn ``(T, U) -> V`` into a function of two Results (first Failure wins)."""
    return lambda first, second: first.bind(lambda a: second.map(lambda b: fn(a, b)))


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
