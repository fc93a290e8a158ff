"""Why a plugin could not be had: an unknown name, or a module that failed to import."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["PluginError", "PluginImportError", "PluginNotFound"]


class PluginError(Exception):
    """Base of plugin errors; ``name`` is the plugin's name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and str(other) == str(self)

    def __hash__(self) -> int:
        return hash((type(self), str(self)))


class PluginNotFound(PluginError):
    """No plugin registered or discovered under this name."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        names = ", ".join(sorted(known)) or "none"
        super().__init__(name, f"no plugin named {name!r} (known: {names})")


class PluginImportError(PluginError):
    """The plugin's module failed to import (or lacks the named attribute); ``cause`` says why."""

    def __init__(self, name: str, target: str, cause: BaseException) -> None:
        module = target.partition(":")[0]
        super().__init__(
            name,
            f"plugin {name!r}: cannot load {target!r} (module {module!r}): "
            f"{type(cause).__name__}: {cause}",
        )
        self.target = target
        self.module = module
        self.cause = cause
