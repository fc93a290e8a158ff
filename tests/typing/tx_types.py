# pyright: reportUnnecessaryTypeIgnoreComment=true
"""Static checks of rfs.tx decorators: the decorated signature is preserved.

Run by `mypy --strict` and `pyright --strict` (make lint); nothing here runs in pytest.
"""

from __future__ import annotations

from typing import assert_type

from rfs import Result, Success
from rfs.tx import Propagation, Transactional, transactional


@Transactional
async def bare(user_id: int) -> Result[int, str]:
    return Success(user_id)


@Transactional(propagation=Propagation.NESTED, isolation="SERIALIZABLE", retries=3)
async def called(name: str, *, limit: int = 10) -> list[str]:
    return [name] * limit


@transactional(read_only=True)
def sync_report(day: str) -> int:
    return len(day)


async def uses() -> None:
    assert_type(await bare(1), Result[int, str])
    assert_type(await called("a", limit=2), list[str])
    assert_type(sync_report("monday"), int)


async def rejected() -> None:
    # each ignore must stay needed (warn_unused_ignores / reportUnnecessaryTypeIgnoreComment)
    await bare("1")  # type: ignore[arg-type]
    total: str = sync_report("monday")  # type: ignore[assignment]
    Transactional(retries="3")  # type: ignore[call-overload]
