# pyright: reportUnnecessaryTypeIgnoreComment=true
"""Static checks that ``is_success`` / ``is_failure`` narrow a Result (PEP 742 ``TypeIs``).

Run by `mypy --strict` and `pyright --strict` (make lint). The methods answer the same
question at run time but cannot narrow ``self``; the functions narrow both branches.
"""

from __future__ import annotations

from typing import assert_type

from rfs.result import Failure, Result, Success, is_failure, is_success


def parse(raw: str) -> Result[int, str]:
    return Success(int(raw)) if raw.isdigit() else Failure("not a number")


def describe(r: Result[int, str]) -> str:
    if is_success(r):
        assert_type(r, Success[int])
        return str(r.value + 1)
    assert_type(r, Failure[str])
    return r.error.upper()


def first_error(results: list[Result[int, str]]) -> str | None:
    for r in results:
        if is_failure(r):
            assert_type(r, Failure[str])
            return r.error
        assert_type(r, Success[int])
    return None


def values(results: list[Result[int, str]]) -> list[int]:
    return [r.value for r in results if is_success(r)]


describe(parse("4"))
first_error([parse("x")])
values([parse("1")])
