"""Load a pipeline definition from a ``.py`` file or a module name (for ``rfs run``)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from rfs.pipeline.registry import TaskRegistry, get_registry

__all__ = ["load_pipeline", "registry_of"]


def _dotted_name(path: Path) -> str | None:
    """``a.b.c`` when ``path`` is ``a/b/c.py`` under the working dir inside packages."""
    try:
        rel = path.relative_to(Path.cwd().resolve())
    except ValueError:
        return None
    parts = rel.with_suffix("").parts
    folder = Path.cwd().resolve()
    for part in parts[:-1]:
        folder = folder / part
        if not (folder / "__init__.py").is_file():
            return None
    return ".".join(parts)


def load_pipeline(target: str) -> ModuleType:
    """Import ``target`` (a file path or a dotted module name) so its ``@task`` run.

    A file inside packages under the working directory is imported by its dotted name (so
    worker processes can import it the same way); any other file by its stem, with its
    folder put on ``sys.path``.
    """
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"no pipeline file {target}")
        path = path.resolve()
        dotted = _dotted_name(path)
        if dotted is not None:
            cwd = str(Path.cwd().resolve())
            if cwd not in sys.path:
                sys.path.insert(0, cwd)
            return importlib.import_module(dotted)
        name = path.stem
        existing = sys.modules.get(name)
        if existing is not None and getattr(existing, "__file__", None) == str(path):
            return existing
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {target} as Python")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    cwd = str(Path.cwd().resolve())
    if cwd not in sys.path:  # like ``python -m``: modules under the working dir import
        sys.path.insert(0, cwd)
    return importlib.import_module(target)


def registry_of(module: ModuleType) -> TaskRegistry:
    """The module's own ``registry`` (a :class:`TaskRegistry`) if it has one, else the default."""
    own = getattr(module, "registry", None)
    return own if isinstance(own, TaskRegistry) else get_registry()
