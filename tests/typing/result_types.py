# pyright: reportUnnecessaryTypeIgnoreComment=true
"""Static checks of Result inference, run by `mypy --strict` and `pyright --strict` (make lint).

Nothing here runs in pytest: type checkers must infer these types with no plugin.
"""

from __future__ import annotations

from typing import assert_type

from rfs import Failure, Result, Success, from_optional, safe, sequence


def parse(raw: str) -> Result[int, str]:
    return Success(int(raw)) if raw.isdigit() else Failure("not a number")


def half(n: int) -> Result[float, ValueError]:
    return Success(n / 2) if n % 2 == 0 else Failure(ValueError("odd"))


assert_type(Success(1), Success[int])
assert_type(Success(1).map(str), Success[str])
assert_type(Failure("boom"), Failure[str])
assert_type(Failure("boom").map(str), Failure[str])
assert_type(Failure("boom").map_error(len), Failure[int])

r = parse("4")
assert_type(r.map(str), Result[str, str])
assert_type(r.map_error(len), Result[int, int])
bound: Result[float, str | ValueError] = r.bind(half)
assert_type(r.unwrap(), int)
assert_type(r.unwrap_or(None), int | None)
assert_type(r.unwrap_or_else(len), int)
assert_type(r.get(), int | None)
assert_type(r.ensure(lambda n: n > 0, "negative"), Result[int, str])
assert_type(sequence([parse("1"), parse("2")]), Result[list[int], str])
assert_type(from_optional(None if r.is_success() else 3, "missing"), Result[int, str])


@safe
def divide(a: int, b: int) -> float:
    return a / b


assert_type(divide(1, 2), Result[float, Exception])

match r:
    case Success(value):
        assert_type(value, int)
    case Failure(error):
        assert_type(error, str)

assert_type(r.map(lambda n: n * 2), Result[int, str])
assert_type(r.bind(lambda n: parse(str(n))), Result[int, str])
recovered: Result[int, str] = r.or_else(lambda e: Success(len(e)))


# Uses that must be rejected: each ignore is checked to be needed (mypy's warn_unused_ignores,
# pyright's reportUnnecessaryTypeIgnoreComment), so a type degrading to Any fails the check.
raw = r.value  # type: ignore[union-attr]
parse("1").unwrap() + "x"  # type: ignore[operator]
half(2).bind(parse)  # type: ignore[arg-type]
wrong: Result[str, str] = parse("1")  # type: ignore[assignment]
Success(1).map(lambda n: n.upper())  # type: ignore[attr-defined]
Failure("boom").map_error(lambda e: e + 1)  # type: ignore[operator]
