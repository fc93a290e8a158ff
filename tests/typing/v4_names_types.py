"""Static checks: v4 keyword names run, but type checkers see and check RFS's names only.

Each v4 spelling below is flagged by mypy and pyright (the ignore comments would be unused,
and so errors under ``--strict``, if it were not); RFS's spelling type-checks.
"""

from __future__ import annotations

from typing import Never, assert_type

from rfs.combinators import traverse
from rfs.reactive import MonoResult
from rfs.result import Result, Success


def check(n: int) -> Result[int, str]:
    return Success(n)


assert_type(traverse([1], fn=check), Result[list[int], str])
traverse([1], func=check)  # type: ignore[call-arg]

mono = MonoResult.from_value(1)
assert_type(mono.map(fn=str), MonoResult[str, Never])
mono.map(func=str)  # type: ignore[call-arg]
