"""Static checks of rfs.cache: @cached keeps parameter and return types, sync and async.

Run by `mypy --strict` and `pyright --strict` (make lint); nothing here runs in pytest.
"""

from __future__ import annotations

from typing import Any, assert_type

from rfs.cache import CacheBackendError, LocalMemory, cached
from rfs.result import Result, Success


@cached(ttl=60, strategy="SHORT", tags=["users"])
async def profile(user_id: str) -> Result[dict[str, str], str]:
    return Success({"id": user_id})


@cached
def square(n: int) -> int:
    return n * n


async def use() -> None:
    assert_type(await profile("u1"), Result[dict[str, str], str])
    assert_type(square(3), int)
    assert_type(await profile.invalidate("u1"), Result[int, CacheBackendError])
    assert_type(square.invalidate(3), Result[int, CacheBackendError])
    assert_type(profile.key_for("u1"), str)
    assert_type(square.stats(), dict[str, Any])
    await profile(1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


memory = LocalMemory(indexes=["status"])
memory.add({"id": 1, "type": "note"})
assert_type(memory.query_by_type("note")[0], Any)


class Catalog:
    @cached(ttl=60)
    def price(self, sku: str) -> int:
        return 100


# on the class, the cached function keeps its controls; on an instance it is the bound call
assert_type(Catalog.price.key_for(None, "A1"), str)
assert_type(Catalog().price("A1"), int)
