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


async def test_every_v4_name_of_rfs_core_result_and_top_level_exists() -> None:
    """Every public name of v4's rfs.core.result and v4's top-level Result names import."""
    import rfs

    v4_names = [
        "Either",
        "Failure",
        "Maybe",
        "Result",
        "ResultAsync",
        "ResultM",
        "Success",
        "async_failure",
        "async_pipe_results",
        "async_result_decorator",
        "async_success",
        "async_try_except",
        "check_is_exception",
        "check_is_result_type",
        "combine",
        "either_of",
        "either_to_result",
        "failure",
        "first_success",
        "from_awaitable",
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
        "sequence",
        "sequence_async",
        "sequence_async_v4",
        "sequence_either",
        "sequence_m",
        "sequence_maybe",
        "some",
        "success",
        "take_until_failure",
        "traverse",
        "traverse_async",
        "traverse_either",
        "traverse_m",
        "traverse_maybe",
        "try_except",
    ]
    for name in v4_names:
        assert getattr(v4, name) is not None, name
    for name in ["ResultAsync", "Flux", "Mono", "result_of", "maybe_of", "either_of"]:
        assert getattr(rfs, name) is not None, name


def test_v4_keyword_names_are_accepted_beside_ours() -> None:
    """One mechanism accepts v4's keyword names; ours still work; both at once is an error."""
    double = lambda n: Success(n * 2)  # noqa: E731
    assert traverse([1], func=double) == traverse([1], fn=double) == Success([2])
    assert try_except(func=lambda: 1) == v4.result_of(func=lambda: 1) == Success(1)
    assert lift(func=str)(Success(1)) == Success("1")
    assert lift2(func=lambda a, b: a + b)(Success(1), Success(2)) == Success(3)
    assert Maybe.some(2).map(func=lambda n: n + 1) == Maybe.some(3)
    assert Maybe.some(2).flat_map(func=Maybe.some) == Maybe.some(2)
    assert Either.right(2).map(func=str) == Either.right("2")
    assert Either.left("e").map_left(func=str.upper) == Either.left("E")
    assert Either.right(2).fold(left_func=len, right_func=str) == "2"
    with pytest.raises(TypeError, match="multiple values"):
        traverse([1], double, func=double)


def test_v4_helpers_behave_as_documented() -> None:
    """pipe_results, sequence_m, traverse_m, take_until_failure, ResultM and the checks."""
    assert v4.pipe_results(lambda n: Success(n + 1), lambda n: Success(n * 3))(1) == Success(6)
    assert v4.sequence_m([Success(1), Failure("x")]) == Failure("x")
    assert v4.traverse_m(lambda n: Success(-n), [1, 2]) == Success([-1, -2])
    total = v4.take_until_failure(lambda acc, n: [*acc, n], [Success(1), Success(2)])
    assert total == Success([1, 2])
    assert v4.take_until_failure(lambda acc, n: acc, [Success(1), Failure("f")]) == Failure("f")
    assert v4.ResultM.pure(1) == Success(1)
    assert v4.ResultM.ap(Success(str), Success(3)) == Success("3")
    assert v4.ResultM.fold_m(lambda a, n: Success(a + n), 0, [1, 2, 3]) == Success(6)
    assert v4.ResultM.kleisli_compose(lambda n: Success(n + 1), lambda n: Success(n * 2))(
        1
    ) == Success(4)
    assert v4.check_is_exception(ValueError()) and not v4.check_is_exception("x")
    assert v4.check_is_result_type(Failure(1)) and not v4.check_is_result_type(1)
    assert v4.is_success(Success(1)) and v4.is_failure(Failure(1))
    assert str(Maybe.some(1)) == "Maybe.Some(1)" and str(Either.left("e")) == "Either.Left(e)"


async def test_result_async_and_async_helpers() -> None:
    """ResultAsync resolves once per step; the async helpers catch only where v4's name says."""
    calls: list[int] = []

    async def fetch() -> Result[int, str]:
        calls.append(1)
        return Success(20)

    pending = v4.ResultAsync(fetch()).map(lambda n: n + 1)
    assert await pending == Success(21) and await pending.to_result() == Success(21)
    assert calls == [1] and await pending.unwrap_or(0) == 21 and await pending.is_success()
    assert await v4.async_failure("e").unwrap_or(0) == 0
    assert await v4.async_success(1).bind(lambda n: v4.async_success(n + 1)) == Success(2)

    async def boom() -> int:
        raise ValueError("x")

    assert isinstance((await v4.from_awaitable(boom())).unwrap_error(), ValueError)
    assert (await v4.async_try_except(boom)).is_failure()
    assert (await v4.async_result_decorator(boom)()).is_failure()
    assert await v4.sequence_async([Success(1), fetch()]) == Success([1, 20])
    assert await (await v4.sequence_async_v4([v4.async_success(1)])) == Success([1])
    pipeline = await v4.async_pipe_results(fetch_plus_one)
    assert await pipeline(1) == Success(2)
    with pytest.raises(ZeroDivisionError):
        await v4.ResultAsync.from_value(1).map(lambda n: n / 0)


async def fetch_plus_one(n: int) -> Result[int, str]:
    return Success(n + 1)
