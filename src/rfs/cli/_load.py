"""The one loader of every ``rfs`` command: a module or ``.py`` file, and ``target:attr``.

A file is imported the way ``rfs run`` does it (its folder on ``sys.path``, or by its dotted name
when it sits in packages under the working directory), so a file importing a sibling module
works the same for ``run``, ``serve``, ``scheduler list``, ``worker`` and ``saga recover``.
Anything going wrong while importing the user's code is a :class:`UserError` (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from rfs.cli._common import UserError, debug_enabled

__all__ = ["load_attr", "load_module"]

ATTR_FORMS = "'module:attr' or 'path/to/file.py:attr'"


def load_module(target: str) -> ModuleType:
    """Import ``target`` (a ``.py`` path or a dotted module name), or raise a UserError."""
    from rfs.pipeline.loader import load_pipeline

    try:
        return load_pipeline(target)
    except FileNotFoundError:
        raise UserError(f"no such file: {target}", "check the path") from None
    except SyntaxError as exc:
        where = f"{exc.filename}:{exc.lineno}" if exc.filename else target
        raise UserError(f"syntax error in {where}: {exc.msg}", "fix the file") from exc
    except ModuleNotFoundError as exc:
        if debug_enabled():
            raise
        missing = exc.name or str(exc)
        if target == missing or target.startswith(f"{missing}."):
            fix = "run from the project folder, or pass a path to a .py file"
            raise UserError(f"no module named {missing!r}", fix) from exc
        raise UserError(
            f"importing {target} failed: no module named {missing!r}",
            "install it, or run from the folder that holds it",
        ) from exc
    except Exception as exc:
        if debug_enabled():
            raise
        raise UserError(
            f"importing {target} failed: {type(exc).__name__}: {exc}",
            "fix the code (--debug shows the traceback)",
        ) from exc


def load_attr(spec: str) -> Any:
    """The object named by ``module:attr`` or ``path/file.py:attr``."""
    target, sep, attr = spec.rpartition(":")
    if not sep or not target or not attr or not attr.isidentifier():
        raise UserError(f"{spec!r} is not {ATTR_FORMS}", f"write it as {ATTR_FORMS}")
    if target.endswith(".py") and not Path(target).is_file():
        raise UserError(f"no such file: {target}", "check the path")
    module = load_module(target)
    try:
        return getattr(module, attr)
    except AttributeError:
        names = sorted(n for n in vars(module) if not n.startswith("_"))[:10]
        raise UserError(
            f"{target} has no attribute {attr!r}", f"use one of {', '.join(names) or '(none)'}"
        ) from None


def ensure_cwd_on_path() -> None:
    """Like ``python -m``: packages of the working directory import."""
    cwd = str(Path.cwd().resolve())
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
