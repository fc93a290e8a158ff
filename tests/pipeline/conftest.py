"""Fixtures for pipeline tests: a clean default registry, stores and I/O managers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rfs.pipeline import MemoryIOManager, MemoryRunStore, TaskRegistry, get_registry


@pytest.fixture
def registry() -> TaskRegistry:
    return TaskRegistry()


@pytest.fixture
def default_registry() -> Iterator[TaskRegistry]:
    """The global registry, emptied for the test and restored after it."""
    reg = get_registry()
    saved = reg.list()
    reg.clear()
    yield reg
    reg.clear()
    for info in saved:
        reg.register(
            info.func,
            name=info.name,
            tags=info.tags,
            dependencies=info.dependencies,
            max_retries=info.max_retries,
            retry_backoff=info.retry_backoff,
            fail_safe=info.fail_safe,
            stream_output=info.stream_output,
            timeout=info.timeout,
            description=info.description,
            io_manager=info.io_manager,
        )


@pytest.fixture
def io() -> MemoryIOManager:
    return MemoryIOManager()


@pytest.fixture
def store() -> MemoryRunStore:
    return MemoryRunStore()
