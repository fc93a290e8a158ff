"""Result, Success and Failure: queries, extraction, combinators, laws and value semantics."""

from __future__ import annotations

import asyncio
import copy
import pickle
import tracemalloc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs import (
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
from rfs.result import is_failure, is_success

values = st.one_of(st.integers(), st.text(max_size=5), st.none())
results = st.one_of(st.builds(Success, values), st.builds(Failure, values))
funcs = st.sampled_from([lambda x: (x, 1), repr, lambda x: x is None, type])
binders = st.sampled_from(
    [
        lambda x: Success((x, "b")),
        lambda x: Failure(("bound", x)),
        lambda x: Success(x) if x else Failure("falsy"),
    ]
)


# Laws ----------------------------------------------------------------------------------


@given(values, binders)
def test_bind_left_identity(value: Any, f: Any) -> None:
    """Success(a).bind(f) == f(a)."""
    assert Success(value).bind(f) == f(value)


@given(results)
def test_bind_right_identity(result: Result[Any, Any]) -> None:
    """m.bind(Success) == m."""
    assert result.bind(Success) == result


@given(results, binders, binders)
def test_bind_associativity(result: Result[Any, Any], f: Any, g: Any) -> None:
    """m.bind(f).bind(g) == m.bind(lambda x: f(x).bind(g))."""
    assert result.bind(f).bind(g) == result.bind(lambda x: f(x).bind(g))


@given(results)
def test_map_identity(result: Result[Any, Any]) -> None:
    """m.map(id) == m."""
    assert result.map(lambda x: x) == result


@given(results, funcs, funcs)
def test_map_composition(result: Result[Any, Any], f: Any, g: Any) -> None:
    """m.map(f).map(g) == m.map(g . f)."""
    assert result.map(f).map(g) == result.map(lambda x: g(f(x)))


@given(results, funcs)
def test_map_error_mirrors_map(result: Result[Any, Any], f: Any) -> None:
    """map_error transforms exactly the errors map leaves alone."""
    mapped = result.map_error(f)
    if result.is_success():
        assert mapped is result
    else:
        assert mapped == Failure(f(result.unwrap_error()))


@given(st.lists(results, max_size=8))
def test_sequence_is_first_failure_or_all_values(items: list[Result[Any, Any]]) -> None:
    """sequence returns the first Failure, or a Success of every value in order."""
    failures = [r for r in items if r.is_failure()]
    expected = failures[0] if failures else Success([r.unwrap() for r in items])
    assert sequence(items) == expected
    assert collect(items) == expected


@given(st.lists(results, max_size=8))
def test_partition_splits_in_order(items: list[Result[Any, Any]]) -> None:
    """partition keeps every value and every error, each in input order."""
    oks, errs = partition(items)
    assert oks == [r.unwrap() for r in items if r.is_success()]
    assert errs == [r.unwrap_error() for r in items if r.is_failure()]


@given(results)
def test_narrowing_functions_agree_with_the_methods(result: Result[Any, Any]) -> None:
    """is_success(r)/is_failure(r) (the narrowing TypeIs forms) answer as the methods do."""
    assert is_success(result) is result.is_success()
    assert is_failure(result) is result.is_failure()
    assert is_success(result) is not is_failure(result)


# Queries and extraction ---------------------------------------------------------------


def test_queries_and_attributes() -> None:
    """Each variant answers its queries and exposes only its own attribute."""
    ok, err = Success(1), Failure("e")
    assert ok.is_success() and not ok.is_failure() and ok.value == 1
    assert err.is_failure() and not err.is_success() and err.error == "e"
    for result in (ok, err):
        with pytest.raises(TypeError, match="truth value of a Result is ambiguous"):
            bool(result)
    with pytest.raises(AttributeError):
        _ = ok.error  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        _ = err.value  # type: ignore[attr-defined]


def test_unwrap_on_failure_raises_with_the_error_in_the_message() -> None:
    """unwrap() on a Failure raises UnwrapError (a ValueError, worded as v4) naming the error."""
    with pytest.raises(UnwrapError, match=r"^Failure unwrap: card declined$"):
        Failure("card declined").unwrap()
    with pytest.raises(ValueError, match="card declined"):
        Failure("card declined").unwrap()
    cause = KeyError("sku")
    with pytest.raises(UnwrapError) as info:
        Failure(cause).unwrap()
    assert info.value.__cause__ is cause
    assert info.value.result == Failure(cause)


def test_extraction_variants() -> None:
    """unwrap_or, unwrap_or_else, expect, unwrap_error, get and get_error per variant."""
    assert Success(2).unwrap_or(0) == 2 and Failure("x").unwrap_or(0) == 0
    assert Failure("abc").unwrap_or_else(len) == 3
    assert Success(2).expect("need it") == 2
    with pytest.raises(UnwrapError, match="need it: 'x'"):
        Failure("x").expect("need it")
    with pytest.raises(UnwrapError, match="unwrap_error"):
        Success(1).unwrap_error()
    assert Failure("x").unwrap_error() == "x"
    assert (Success(1).get(), Success(1).get_error()) == (1, None)
    assert (Failure("x").get(), Failure("x").get_error()) == (None, "x")


# Combinators --------------------------------------------------------------------------


def test_or_else_recovers_only_failures() -> None:
    """or_else runs on a Failure and leaves a Success untouched."""
    assert Failure("x").or_else(lambda e: Success(e * 2)) == Success("xx")
    assert Success(1).or_else(lambda e: Success(99)) == Success(1)


def test_tap_and_tap_error_see_the_value_and_return_self() -> None:
    """tap runs on Success only, tap_error on Failure only; both return the same object."""
    seen: list[Any] = []
    ok, err = Success(1), Failure("e")
    assert ok.tap(seen.append) is ok and err.tap(seen.append) is err
    assert ok.tap_error(seen.append) is ok and err.tap_error(seen.append) is err
    assert seen == [1, "e"]


def test_filter_and_ensure() -> None:
    """ensure keeps passing values and turns others into Failure (error value or factory)."""
    assert Success(5).ensure(lambda n: n > 0, "neg") == Success(5)
    assert Success(-1).ensure(lambda n: n > 0, "neg") == Failure("neg")
    assert Success(-1).filter(lambda n: n > 0, lambda n: f"{n} < 0") == Failure("-1 < 0")
    assert Failure("e").ensure(lambda n: True, "neg") == Failure("e")


def test_flat_map_is_bind() -> None:
    """flat_map is an alias of bind on both variants."""
    assert Success(2).flat_map(lambda n: Success(n + 1)) == Success(3)
    err = Failure("e")
    assert err.flat_map(lambda n: Success(n)) is err


def test_exceptions_in_map_propagate() -> None:
    """map does not swallow exceptions (a bug in fn is a bug, not a Failure)."""
    with pytest.raises(ZeroDivisionError):
        Success(1).map(lambda n: n / 0)


async def test_async_combinators() -> None:
    """map_async and bind_async await fn on Success and skip it on Failure."""

    async def double(n: int) -> int:
        return n * 2

    async def check(n: int) -> Result[int, str]:
        return Success(n) if n < 10 else Failure("big")

    assert await Success(2).map_async(double) == Success(4)
    assert await Success(20).bind_async(check) == Failure("big")
    err = Failure("e")
    assert await err.map_async(double) is err and await err.bind_async(check) is err


def test_failure_path_allocates_nothing_per_step() -> None:
    """A chain on a Failure returns the same object at every step."""
    err: Result[int, str] = Failure("e")
    chained = err.map(str).bind(lambda s: Success(s)).map(len).tap(print)
    assert chained is err
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(1000):
        err.map(str).bind(Success).map(len)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    growth = sum(s.size_diff for s in after.compare_to(before, "filename") if s.size_diff > 0)
    assert growth < 4096


# Helpers ------------------------------------------------------------------------------


def test_safe_turns_exceptions_into_failures() -> None:
    """@safe returns Success on return and Failure(exc) on a raised exception."""

    @safe
    def divide(a: int, b: int) -> float:
        return a / b

    assert divide(4, 2) == Success(2.0)
    result = divide(1, 0)
    assert result.is_failure() and isinstance(result.unwrap_error(), ZeroDivisionError)
    assert divide.__name__ == "divide"


def test_safe_with_exceptions_only_catches_those() -> None:
    """@safe(exceptions=...) lets other exception types propagate."""

    @safe(exceptions=(KeyError,))
    def lookup(key: str) -> int:
        if key == "boom":
            raise RuntimeError("bug")
        return {"a": 1}[key]

    assert lookup("a") == Success(1)
    assert isinstance(lookup("b").unwrap_error(), KeyError)
    with pytest.raises(RuntimeError):
        lookup("boom")


def test_safe_refuses_async_functions() -> None:
    """@safe on a coroutine function is a programmer error pointing at safe_async."""
    with pytest.raises(TypeError, match="safe_async"):

        @safe
        async def fetch() -> int:
            return 1


async def test_safe_async_catches_but_never_swallows_cancellation() -> None:
    """@safe_async turns exceptions into Failure but lets CancelledError through."""

    @safe_async
    async def fail() -> int:
        raise ValueError("bad")

    @safe_async
    async def hang() -> int:
        await asyncio.sleep(3600)
        return 1

    assert isinstance((await fail()).unwrap_error(), ValueError)
    task = asyncio.ensure_future(hang())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_from_optional() -> None:
    """None becomes Failure (given error, else ValueError); anything else Success."""
    assert from_optional(0, "missing") == Success(0)
    assert from_optional(None, "missing") == Failure("missing")
    assert isinstance(from_optional(None).unwrap_error(), ValueError)


# Value semantics ----------------------------------------------------------------------


def test_immutable() -> None:
    """Neither variant can be mutated."""
    ok, err = Success(1), Failure("e")
    with pytest.raises(AttributeError):
        ok.value = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        err.error = "f"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ok.other = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        del ok.value


@given(values)
def test_equality_and_hashing(value: Any) -> None:
    """Equal content means equal and same hash; Success(x) never equals Failure(x)."""
    assert Success(value) == Success(value) and hash(Success(value)) == hash(Success(value))
    assert Failure(value) == Failure(value) and hash(Failure(value)) == hash(Failure(value))
    assert Success(value) != Failure(value)
    assert len({Success(value), Success(value), Failure(value)}) == 2


def test_unhashable_content_makes_an_unhashable_result() -> None:
    """Hashing follows the content: a list inside makes the Result unhashable."""
    with pytest.raises(TypeError):
        hash(Success([1]))


@given(results)
def test_pickle_and_copy_round_trip(result: Result[Any, Any]) -> None:
    """Results survive pickle, copy and deepcopy unchanged."""
    assert pickle.loads(pickle.dumps(result)) == result
    assert copy.copy(result) == result and copy.deepcopy(result) == result


def test_match_destructures_both_variants() -> None:
    """match/case binds the value or the error positionally."""

    def describe(result: Result[int, str]) -> str:
        match result:
            case Success(value):
                return f"ok {value}"
            case Failure(error):
                return f"err {error}"

    assert describe(Success(3)) == "ok 3"
    assert describe(Failure("x")) == "err x"


def test_runtime_result_base() -> None:
    """Result works in isinstance checks and can be subscripted at runtime."""
    assert isinstance(Success(1), Result) and isinstance(Failure(1), Result)
    assert Result[int, str].__origin__ is Result  # type: ignore[attr-defined]
    assert repr(Success("a")) == "Success('a')" and repr(Failure(1)) == "Failure(1)"
    assert str(Success("a")) == "Success(a)" and f"{Failure('e')}" == "Failure(e)"  # as v4
