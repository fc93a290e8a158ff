"""RFS v4's test markers (``@result_test``, ``@mono_test``, ``@flux_test``).

Each applies the pytest mark of the same name, which the RFS pytest plugin registers; pytest
is imported only when a marker is applied, so importing :mod:`rfs.testing` stays pytest-free.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["MARKERS", "flux_test", "mark", "mono_test", "result_test"]

F = TypeVar("F", bound=Callable[..., Any])

MARKERS = {
    "result_test": "a test of Result code (RFS v4 marker)",
    "mono_test": "a test of MonoResult code (RFS v4 marker)",
    "flux_test": "a test of FluxResult code (RFS v4 marker)",
    "performance_test": "a test with a time budget (RFS v4 marker)",
}


def mark(name: str, func: F) -> F:
    """``pytest.mark.<name>(func)``, importing pytest now (the test is being collected)."""
    pytest = importlib.import_module("pytest")
    marked: F = getattr(pytest.mark, name)(func)
    return marked


def result_test(func: F) -> F:
    return mark("result_test", func)


def mono_test(func: F) -> F:
    return mark("mono_test", func)


def flux_test(func: F) -> F:
    return mark("flux_test", func)
