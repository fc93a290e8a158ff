"""The task registry: @task, TaskInfo, lookups, name rules and schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import pytest

from rfs.pipeline import (
    DuplicateTaskError,
    TaskKind,
    TaskRegistry,
    UnsafeNameError,
    get_registry,
    task,
)


def test_task_decorator_bare_and_with_options(registry: TaskRegistry) -> None:
    """@registry.task works bare and with options, and returns the function unchanged."""

    @registry.task
    def plain() -> int:
        return 1

    @registry.task(name="named", tags=["etl", "x"], dependencies=["plain"], max_retries=2,
                   fail_safe=True, timeout=5, retry_backoff=0.1, description="d")  # fmt: skip
    def other(plain: int) -> int:
        return plain + 1

    assert plain() == 1 and other(1) == 2
    info = registry.get("named")
    assert (info.name, info.tags, info.dependencies) == ("named", ("etl", "x"), ("plain",))
    assert (info.max_retries, info.fail_safe, info.timeout, info.retry_backoff) == (2, True, 5, 0.1)
    assert info.description == "d" and info.func is other
    assert registry.names() == ["plain", "named"]


def test_kinds_of_functions(registry: TaskRegistry) -> None:
    """Sync, async, generator and async generator functions are told apart."""

    @registry.task
    def s() -> int:
        return 1

    @registry.task
    async def a() -> int:
        return 1

    @registry.task
    def g() -> Iterator[int]:
        yield 1

    @registry.task
    async def ag() -> AsyncIterator[int]:
        yield 1

    kinds = {n: registry.get(n).kind for n in registry.names()}
    assert kinds == {
        "s": TaskKind.SYNC,
        "a": TaskKind.ASYNC,
        "g": TaskKind.GENERATOR,
        "ag": TaskKind.ASYNC_GENERATOR,
    }
    assert registry.get("a").is_async and not registry.get("s").is_async
    assert registry.get("g").is_generator and registry.get("ag").is_generator
    assert registry.get("g").is_stream and not registry.get("a").is_stream


def test_list_by_tags(registry: TaskRegistry) -> None:
    """list(tags=...) returns tasks having any of the tags, in registration order."""
    for name, tags in (("a", ["x"]), ("b", ["y"]), ("c", ["x", "y"]), ("d", [])):
        registry.task(lambda: None, name=name, tags=tags)
    assert [t.name for t in registry.list(tags=["x"])] == ["a", "c"]
    assert [t.name for t in registry.list(tags=["x", "y"])] == ["a", "b", "c"]
    assert len(registry.list()) == 4


def test_duplicate_name_names_both_definitions(registry: TaskRegistry) -> None:
    """Registering another function under a taken name fails, naming both definitions."""

    @registry.task(name="dup")
    def first() -> None: ...

    def second() -> None: ...

    with pytest.raises(DuplicateTaskError) as err:
        registry.task(second, name="dup")
    assert "first" in str(err.value) and "second" in str(err.value)
    assert "test_registry.py" in str(err.value)


def test_same_function_registered_again_is_accepted(registry: TaskRegistry) -> None:
    """Re-registering the same function (a module imported again) is not a duplicate."""

    def f() -> None: ...

    registry.task(f)
    registry.task(f)
    assert registry.names() == ["f"]


@pytest.mark.parametrize("bad", ["../x", "a/b", "a\\b", "..", "", ".hidden", "x..y", "a b"])
def test_path_like_names_are_refused(registry: TaskRegistry, bad: str) -> None:
    """Names that could escape the output directory are refused at registration."""
    with pytest.raises(UnsafeNameError):
        registry.task(lambda: None, name=bad)


def test_unknown_task_lookup_names_it(registry: TaskRegistry) -> None:
    """get() of an unknown name raises KeyError naming it; find() returns None."""
    with pytest.raises(KeyError, match="nope"):
        registry.get("nope")
    assert registry.find("nope") is None


def test_bad_options_are_refused(registry: TaskRegistry) -> None:
    """Negative retries, a non-positive timeout and self-dependency are programmer errors."""
    with pytest.raises(ValueError, match="max_retries"):
        registry.task(lambda: None, name="a", max_retries=-1)
    with pytest.raises(ValueError, match="timeout"):
        registry.task(lambda: None, name="b", timeout=0)
    with pytest.raises(ValueError, match="itself"):
        registry.task(lambda: None, name="c", dependencies=["c"])


def test_dependencies_accept_task_functions(registry: TaskRegistry) -> None:
    """A dependency may be given as the decorated function instead of its name."""

    @registry.task(name="up")
    def upstream() -> int:
        return 1

    @registry.task(dependencies=[upstream])
    def down(up: int) -> int:
        return up

    assert registry.get("down").dependencies == ("up",)


def test_schemas_from_type_hints(registry: TaskRegistry) -> None:
    """Parameters give the input schema (defaults optional), the return type the output."""

    @registry.task
    def f(a: int, b: list[str], c: float | None = None) -> dict[str, int]:
        return {}

    info = registry.get("f")
    schema = info.input_schema
    assert schema["properties"]["a"] == {"type": "integer"}
    assert schema["properties"]["b"] == {"type": "array", "items": {"type": "string"}}
    assert schema["required"] == ["a", "b"]
    assert info.output_schema == {"type": "object", "additionalProperties": {"type": "integer"}}


def test_stream_schemas(registry: TaskRegistry) -> None:
    """Generator[T, ...] and AsyncIterator[T] outputs are streams of T."""

    @registry.task
    def g() -> Generator[int, None, None]:
        yield 1

    @registry.task
    async def ag() -> AsyncIterator[str]:
        yield "x"

    assert registry.get("g").output_schema == {
        "type": "array",
        "items": {"type": "integer"},
        "x-rfs-stream": True,
    }
    assert registry.get("ag").output_schema["items"] == {"type": "string"}


def test_unannotated_function_has_any_types(registry: TaskRegistry) -> None:
    """Missing annotations mean Any, and schemas still build."""

    @registry.task
    def f(x):  # type: ignore[no-untyped-def]
        return x

    info = registry.get("f")
    assert info.param_type("x") is Any and info.return_type is Any
    assert info.input_schema["required"] == ["x"]


def test_global_task_decorator_and_explicit_registry(default_registry: TaskRegistry) -> None:
    """@task fills get_registry(); @task(registry=r) fills r only."""
    other = TaskRegistry()

    @task
    def g1() -> None: ...

    @task(registry=other, name="o1")
    def o1() -> None: ...

    assert get_registry().names() == ["g1"] and other.names() == ["o1"]
