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
    saved = dict(reg._tasks)
    reg.clear()
    yield reg
    reg.clear()
    reg._tasks.update(saved)


@pytest.fixture
def io() -> MemoryIOManager:
    return MemoryIOManager()


@pytest.fixture
def store() -> MemoryRunStore:
    return MemoryRunStore()
