"""Type checkers see through ``@task``: decorated functions keep their signatures."""

from __future__ import annotations

from collections.abc import Iterator

from rfs.pipeline import TaskRegistry, task
from rfs.pipeline.registry import TaskInfo

registry = TaskRegistry()


@registry.task
def plain(x: int) -> str:
    return str(x)


@registry.task(name="streamed", tags=["t"], max_retries=2, stream_output=True)
def streamed(limit: int) -> Iterator[int]:
    yield from range(limit)


@task(registry=registry, dependencies=["plain"])
async def later(plain: str) -> int:
    return len(plain)


text: str = plain(1)
items: Iterator[int] = streamed(3)
info: TaskInfo = registry.get("plain")
names: list[str] = registry.names()
