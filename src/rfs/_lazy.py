"""Lazy re-exports for package ``__init__`` modules (PEP 562), so imports stay cheap."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: MutableMapping[str, object]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import ``exports[name]`` on first use.

    ``exports`` maps each public name to the module defining it; a loaded name is stored in
    ``namespace`` (the package's ``globals()``) so later lookups cost nothing.

    Example::

        __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
    """

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        names = namespace.get("__all__")
        return sorted(names if isinstance(names, list) else exports)

    return __getattr__, __dir__
