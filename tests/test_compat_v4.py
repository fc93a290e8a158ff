"""RFS v4 compatibility: ``rfs.core.result`` names, combinators, Maybe and Either."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rfs.core.result as v4
from rfs import Failure, Result, Success
from rfs.combinators import combine, first_success, lift, lift2, traverse, try_except
from rfs.monads import Either, Maybe


def test_v4_import_path_re_exports_the_same_objects() -> None:
    """rfs.core.result is a thin re-export: its Success is rfs.Success."""
    assert v4.Success is Success and v4.Failure is Failure and v4.Result is Result
    for name in v4.__all__:
        assert hasattr(v4, name), name


def test_combine_and_first_success() -> None:
    """combine tuples the values or returns the first Failure; first_success collects errors."""
    assert combine(Success(1), Success("a")) == Success((1, "a"))
    assert combine(Success(1), Failure("x"), Failure("y")) == Failure("x")
    assert first_success(Failure("a"), Success(2), Success(3)) == Success(2)
    assert first_success(Failure("a"), Failure("b")) == Failure(["a", "b"])


def test_traverse_stops_at_first_failure() -> None:
    """traverse applies fn in order and touches nothing after the first Failure."""
    seen: list[int] = []

    def check(n: int) -> Result[int, str]:
        seen.append(n)
        return Success(n * 2) if n != 2 else Failure("two")

    assert traverse([1, 3], check) == Success([2, 6])
    seen.clear()
    assert traverse([1, 2, 3], check) == Failure("two")
    assert seen == [1, 2]


def test_lift_and_try_except() -> None:
    """lift/lift2 raise plain functions to Results; try_except catches into Failure."""
    assert lift(str)(Success(1)) == Success("1")
    assert lift2(lambda a, b: a + b)(Success(1), Success(2)) == Success(3)
    assert lift2(lambda a, b: a + b)(Success(1), Failure("e")) == Failure("e")
    assert isinstance(try_except(lambda: 1 / 0).unwrap_error(), ZeroDivisionError)


def test_maybe_behaviour() -> None:
    """Maybe.some/none/of, map, flat_map, filter, or_else and conversions."""
    assert Maybe.of(3).map(lambda n: n + 1) == Maybe.some(4)
    assert Maybe.of(None).map(lambda n: n + 1).is_none()
    assert Maybe.some(3).filter(lambda n: n > 5) == Maybe.none()
    assert Maybe.none().or_else(Maybe.some(1)) == Maybe.some(1)
    assert Maybe.some(2).flat_map(lambda n: Maybe.some(n * 3)).get() == 6
    assert Maybe.none().get_or_else(7) == 7
    assert Maybe.none().to_result("missing") == Failure("missing")
    assert Maybe.some(1).to_either("e") == Either.right(1)
    with pytest.raises(ValueError, match="Some cannot contain None"):
        Maybe.some(None)
    with pytest.raises(ValueError):
        Maybe.none().get()


def test_either_behaviour() -> None:
    """Either.left/right, fold, map, map_left, swap and to_result."""
    r: Either[int, str] = Either.right(2)
    lft: Either[int, str] = Either.left("bad")
    assert r.map(lambda n: n * 5) == Either.right(10) and lft.map(lambda n: n * 5) == lft
    assert lft.map_left(str.upper) == Either.left("BAD")
    assert r.fold(len, str) == "2" and lft.fold(len, str) == 3
    assert r.swap().is_left() and lft.to_result() == Failure("bad")
    assert r.flat_map(lambda n: Either.left(f"no {n}")) == Either.left("no 2")


@given(st.lists(st.one_of(st.integers(), st.none()), max_size=6))
def test_sequence_maybe_and_conversions(items: list[int | None]) -> None:
    """sequence_maybe is some(all) only when nothing is absent; conversions round-trip."""
    expected = Maybe.some(items) if None not in items else Maybe.none()
    assert v4.sequence_maybe(Maybe.of(i) for i in items) == expected
    for item in items:
        result: Result[Any, str] = Success(item) if item is not None else Failure("none")
        assert v4.either_to_result(v4.result_to_either(result)) == result
        assert v4.result_to_maybe(result) == Maybe.of(item)
