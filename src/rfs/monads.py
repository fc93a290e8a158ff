"""``Maybe`` and ``Either``, kept for RFS v4 code, with conversions to and from ``Result``.

New code should prefer ``Result`` and ``from_optional``; these exist so that v4 programs
run unchanged (v4's keyword names and error messages included). Unlike v4, ``map`` and
``flat_map`` do not swallow exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, NoReturn, TypeVar

from rfs._aliases import accepts
from rfs.result import Failure, Result, Success

__all__ = [
    "Either",
    "Maybe",
    "either_of",
    "either_to_result",
    "left",
    "maybe_of",
    "maybe_to_result",
    "none",
    "result_to_either",
    "result_to_maybe",
    "right",
    "sequence_either",
    "sequence_maybe",
    "some",
    "traverse_either",
    "traverse_maybe",
]

T = TypeVar("T")
E = TypeVar("E")
U = TypeVar("U")
F = TypeVar("F")


class _Frozen:
    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is immutable")


class Maybe(_Frozen, Generic[T]):
    """A value that may be absent: ``Maybe.some(v)`` or ``Maybe.none()``."""

    __slots__ = ("_present", "_value")
    _present: bool
    _value: T

    def __init__(self, value: T | None) -> None:
        object.__setattr__(self, "_present", value is not None)
        object.__setattr__(self, "_value", value)

    @classmethod
    def some(cls, value: T) -> Maybe[T]:
        if value is None:
            raise ValueError("Some cannot contain None (use Maybe.of() or Maybe.none())")
        return cls(value)

    @classmethod
    def none(cls) -> Maybe[T]:
        return cls(None)

    @classmethod
    def of(cls, value: T | None) -> Maybe[T]:
        return cls(value)

    def is_some(self) -> bool:
        return self._present

    def is_none(self) -> bool:
        return not self._present

    def get(self) -> T:
        if not self._present:
            raise ValueError("Cannot get value from None")
        return self._value

    def get_or_else(self, default: U) -> T | U:
        return self._value if self._present else default

    @accepts(func="fn")
    def map(self, fn: Callable[[T], U | None]) -> Maybe[U]:
        return Maybe(fn(self._value)) if self._present else Maybe.none()

    @accepts(func="fn")
    def flat_map(self, fn: Callable[[T], Maybe[U]]) -> Maybe[U]:
        return fn(self._value) if self._present else Maybe.none()

    bind = flat_map

    def filter(self, predicate: Callable[[T], bool]) -> Maybe[T]:
        return self if self._present and predicate(self._value) else Maybe.none()

    def or_else(self, alternative: Maybe[T]) -> Maybe[T]:
        return self if self._present else alternative

    def to_result(self, error: E) -> Result[T, E]:
        return Success(self._value) if self._present else Failure(error)

    def to_either(self, error: E) -> Either[T, E]:
        return Either.right(self._value) if self._present else Either.left(error)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Maybe) and (self._present, self._value) == (
            other._present,
            other._value,
        )

    def __hash__(self) -> int:
        return hash((Maybe, self._present, self._value))

    def __repr__(self) -> str:
        return f"Maybe.some({self._value!r})" if self._present else "Maybe.none()"

    def __str__(self) -> str:
        return f"Maybe.Some({self._value})" if self._present else "Maybe.None"  # as v4


class Either(_Frozen, Generic[T, E]):
    """``Either.right(value)`` (success) or ``Either.left(error)``."""

    __slots__ = ("_is_right", "_value")
    _is_right: bool
    _value: Any

    def __init__(self, is_right: bool, value: T | E) -> None:
        object.__setattr__(self, "_is_right", is_right)
        object.__setattr__(self, "_value", value)

    @classmethod
    def left(cls, error: E) -> Either[T, E]:
        return cls(False, error)

    @classmethod
    def right(cls, value: T) -> Either[T, E]:
        return cls(True, value)

    def is_left(self) -> bool:
        return not self._is_right

    def is_right(self) -> bool:
        return self._is_right

    @accepts(left_func="left_fn", right_func="right_fn")
    def fold(self, left_fn: Callable[[E], U], right_fn: Callable[[T], U]) -> U:
        return right_fn(self._value) if self._is_right else left_fn(self._value)

    @accepts(func="fn")
    def map(self, fn: Callable[[T], U]) -> Either[U, E]:
        return Either(True, fn(self._value)) if self._is_right else self  # type: ignore[return-value]

    @accepts(func="fn")
    def flat_map(self, fn: Callable[[T], Either[U, E]]) -> Either[U, E]:
        return fn(self._value) if self._is_right else self  # type: ignore[return-value]

    bind = flat_map

    @accepts(func="fn")
    def map_left(self, fn: Callable[[E], F]) -> Either[T, F]:
        return self if self._is_right else Either(False, fn(self._value))  # type: ignore[return-value]

    def swap(self) -> Either[E, T]:
        return Either(not self._is_right, self._value)

    def to_result(self) -> Result[T, E]:
        return Success(self._value) if self._is_right else Failure(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Either) and (self._is_right, self._value) == (
            other._is_right,
            other._value,
        )

    def __hash__(self) -> int:
        return hash((Either, self._is_right, self._value))

    def __repr__(self) -> str:
        return f"Either.{'right' if self._is_right else 'left'}({self._value!r})"

    def __str__(self) -> str:
        return f"Either.{'Right' if self._is_right else 'Left'}({self._value})"  # as v4


def some(value: T) -> Maybe[T]:
    return Maybe.some(value)


def none() -> Maybe[Any]:
    return Maybe.none()


def maybe_of(value: T | None) -> Maybe[T]:
    return Maybe.of(value)


def left(error: E) -> Either[Any, E]:
    return Either.left(error)


def right(value: T) -> Either[T, Any]:
    return Either.right(value)


def either_of(value: T, error: E | None = None) -> Either[T, E]:
    """``left(error)`` when an error is given, else ``right(value)``."""
    return Either.left(error) if error is not None else Either.right(value)


def sequence_maybe(maybes: Iterable[Maybe[T]]) -> Maybe[list[T]]:
    """All the values, or ``Maybe.none()`` if any is absent."""
    values: list[T] = []
    for maybe in maybes:
        if maybe.is_none():
            return Maybe.none()
        values.append(maybe.get())
    return Maybe.some(values)


def sequence_either(eithers: Iterable[Either[T, E]]) -> Either[list[T], E]:
    """All the right values, or the first left."""
    values: list[T] = []
    for either in eithers:
        if either.is_left():
            return either  # type: ignore[return-value]
        values.append(either._value)
    return Either.right(values)


def traverse_maybe(items: Iterable[T], fn: Callable[[T], Maybe[U]]) -> Maybe[list[U]]:
    return sequence_maybe(fn(item) for item in items)


def traverse_either(items: Iterable[T], fn: Callable[[T], Either[U, E]]) -> Either[list[U], E]:
    return sequence_either(fn(item) for item in items)


def result_to_either(result: Result[T, E]) -> Either[T, E]:
    if type(result) is Success:
        return Either.right(result.value)
    return Either.left(result.unwrap_error())


def either_to_result(either: Either[T, E]) -> Result[T, E]:
    return either.to_result()


def result_to_maybe(result: Result[T, Any]) -> Maybe[T]:
    return Maybe.of(result.get_or_none())


def maybe_to_result(maybe: Maybe[T], error: E) -> Result[T, E]:
    return maybe.to_result(error)
