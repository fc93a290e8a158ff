"""The RFS pytest plugin (loaded through the ``pytest11`` entry point): fixtures for tests.

Subsystems add their fixtures here, importing their own modules inside the fixture body so
that loading the plugin stays cheap for every test run.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from rfs.testing.markers import MARKERS

if TYPE_CHECKING:
    from rfs.testing.mocking import ResultServiceMocker
    from rfs.testing.sleep import RecordingSleep


def pytest_configure(config: pytest.Config) -> None:
    """Register RFS v4's markers (``result_test``...), so ``--strict-markers`` accepts them."""
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")


_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE, without importing inspect


@pytest.hookimpl
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an ``async def`` test that no async plugin took, each in a fresh event loop.

    pytest runs no coroutine itself ("async def functions are not natively supported"). A
    test that pytest-asyncio (its ``auto`` mode or ``@pytest.mark.asyncio``) or anyio runs is
    already synchronous or handled by the time this hook sees it; any other ``async def`` test
    runs here with ``asyncio.run``. Async *fixtures* still need pytest-asyncio with
    ``asyncio_mode = "auto"`` (docs/testing.md).
    """
    test = pyfuncitem.obj
    code = getattr(test, "__code__", None)
    if code is None or not code.co_flags & _CO_COROUTINE:
        return None
    import asyncio

    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(test(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


def _v4_fixture(name: str) -> Any:
    """A fixture calling ``rfs.testing.fixtures.<name>()``, imported when a test asks for it."""

    def fixture() -> Any:
        return getattr(importlib.import_module("rfs.testing.fixtures"), name)()

    fixture.__name__ = name
    fixture.__doc__ = f"RFS v4's ``{name}`` fixture (see rfs.testing.fixtures.{name})."
    return pytest.fixture(name=name)(fixture)


result_factory = _v4_fixture("result_factory")
success_result = _v4_fixture("success_result")
failure_result = _v4_fixture("failure_result")
success_mono = _v4_fixture("success_mono")
performance_helper = _v4_fixture("performance_helper")

# Results -------------------------------------------------------------------------------


@pytest.fixture
def result_service_mocker() -> Iterator[Callable[..., ResultServiceMocker]]:
    """A function ``(target, method, *, is_async=None) -> ResultServiceMocker``.

    Like ``mock_result_service`` without the ``with`` block: every patch made through it
    is undone when the test ends, in reverse order.
    """
    from rfs.testing.mocking import service_patch

    patches: list[Any] = []

    def patch(target: Any, method: str, *, is_async: bool | None = None) -> ResultServiceMocker:
        service = service_patch(target, method, is_async, sys._getframe(1).f_globals)
        mocker = service.__enter__()
        patches.append(service)
        return mocker

    yield patch
    for service in reversed(patches):
        service.__exit__(None, None, None)


@pytest.fixture
def recording_sleep() -> RecordingSleep:
    """An ``asyncio.sleep`` stand-in recording delays (for ``retry(..., sleep=...)``)."""
    from rfs.testing.sleep import RecordingSleep

    return RecordingSleep()


# Subsystems ----------------------------------------------------------------------------


@pytest.fixture
def event_broker() -> Any:
    """A fresh ``InMemoryBroker`` for this test (no state shared between tests)."""
    from rfs.events import InMemoryBroker

    return InMemoryBroker()


@pytest.fixture
def di_registry() -> Any:
    """A fresh DI ``Registry`` on the ``test`` profile; register into it with ``registry=``."""
    from rfs.di import Registry

    return Registry(profile="test")


@pytest.fixture
def task_registry() -> Any:
    """A fresh, empty ``TaskRegistry`` (tasks declared with ``@task_registry.task``)."""
    from rfs.pipeline import TaskRegistry

    return TaskRegistry()


@pytest.fixture
def run_store() -> Any:
    """A temporary in-memory pipeline run store, empty at the start of each test."""
    from rfs.pipeline import MemoryRunStore

    return MemoryRunStore()


@pytest.fixture
def saga_memory_log() -> Iterator[Any]:
    """A fresh ``MemorySagaLog`` as the default saga log for this test (the durable default
    ``.rfs/sagas.db`` is restored afterwards)."""
    from rfs.saga import configure, use_memory_log

    yield use_memory_log()
    configure(None)
