"""Static checks of MonoResult/FluxResult inference, run by `mypy --strict` and `pyright --strict`.

Nothing here runs in pytest: type checkers must infer these types with no plugin.
"""

from __future__ import annotations

from typing import Never, assert_type

from rfs import Failure, FluxResult, MonoResult, Result, Success
from rfs.reactive import OperationTimeoutError


def accepts_int_str(mono: MonoResult[int, str]) -> None: ...


async def fetch(user_id: str) -> Result[int, str]:
    return Success(len(user_id)) if user_id else Failure("empty id")


async def double(n: int) -> int:
    return n * 2


async def check_async(n: int) -> Result[float, ValueError]:
    return Success(n / 2) if n % 2 == 0 else Failure(ValueError("odd"))


async def mono_types() -> None:
    mono = MonoResult.from_async_result(lambda: fetch("a"))
    assert_type(mono, MonoResult[int, str])
    assert_type(mono.map(str), MonoResult[str, str])
    assert_type(mono.map_error(len), MonoResult[int, int])
    assert_type(mono.bind_async_result(check_async), MonoResult[float, str | ValueError])
    assert_type(mono.timeout(1.0), MonoResult[int, str | OperationTimeoutError])
    assert_type(mono.retry(3, backoff=0.1).cache(), MonoResult[int, str])
    assert_type(await mono, Result[int, str])
    assert_type(await mono.map(str).to_result(), Result[str, str])
    assert_type(MonoResult.from_value(1), MonoResult[int, Never])
    accepts_int_str(MonoResult.from_value(1))  # covariant in T and E: Never widens to str
    assert_type(mono.on_error_return(0), MonoResult[int, Never])


async def flux_types() -> None:
    flux = FluxResult.from_values([1, 2, 3])
    assert_type(flux, FluxResult[int, Never])
    mixed: FluxResult[int, str] = FluxResult.from_results([Success(1), Failure("x")])
    assert_type(mixed.map(str), FluxResult[str, str])
    assert_type(mixed.map_async(double, concurrency=4), FluxResult[int, str])
    assert_type(mixed.bind_async(check_async), FluxResult[float, str | ValueError])
    assert_type(mixed.collect(), Result[list[int], str])
    assert_type(mixed.partition(), tuple[list[int], list[str]])
    assert_type(await mixed.map_async(double), FluxResult[int, str])
    assert_type(mixed.collect_results(), MonoResult[list[int], list[str]])
