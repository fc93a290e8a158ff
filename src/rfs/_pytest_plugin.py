"""The ``pytest11`` entry point: the fixtures of ``rfs/testing/plugin.py``, loaded from the file
without importing the ``rfs.testing`` package (whose helpers import asyncio and mocks), so a
test run that uses no RFS fixture pays for nothing but this module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _load() -> dict[str, object]:
    name = "rfs.testing.plugin"
    module = sys.modules.get(name)
    if module is None:
        path = Path(__file__).with_name("testing") / "plugin.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None  # nosec B101 - our own file
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if not k.startswith("_")}


globals().update(_load())
