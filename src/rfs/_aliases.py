"""``accepts(func="fn")``: let a function take RFS v4's keyword names beside its own.

The one mechanism behind every v4 keyword spelling (``traverse(items, func=f)``,
``mono.do_on_success(action=f)``...). Type checkers see the decorated function unchanged,
so they show and check our names only. With the C extension the wrapper is
``rfs._speedups.KeywordAliases``: a call without keywords is forwarded as it is, costing
one C indirection; the pure-Python wrapper renames in Python.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["accepts"]

F = TypeVar("F", bound=Callable[..., Any])

_native: Callable[[Callable[..., Any], dict[str, str]], Any] | None = None
if os.environ.get("RFS_PURE_PYTHON") != "1":
    with contextlib.suppress(ImportError):  # no compiler at install time: pure Python
        from rfs._speedups import KeywordAliases as _native


def accepts(**aliases: str) -> Callable[[F], F]:
    """Decorate a function so that keyword ``old`` (the v4 name) is passed as ``new``.

    Example::

        @accepts(func="fn")
        def traverse(items, fn): ...

        traverse([1], func=check)  # the same as traverse([1], fn=check)

    Passing both names is the usual "got multiple values" ``TypeError``.
    """

    def decorate(fn: F) -> F:
        if _native is not None:
            wrapped: F = _native(fn, aliases)
            return wrapped
        return _renaming(fn, aliases)

    return decorate


def _renaming(fn: F, aliases: dict[str, str]) -> F:
    @functools.wraps(fn)
    def renamed(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            for old, new in aliases.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{fn.__qualname__}() got multiple values for argument {new!r}"
                        )
                    kwargs[new] = kwargs.pop(old)
        return fn(*args, **kwargs)

    renamed.aliases = dict(aliases)  # type: ignore[attr-defined]
    return renamed  # type: ignore[return-value]
