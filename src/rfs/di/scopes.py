"""Lifetimes of provided objects: singleton, prototype and request."""

from __future__ import annotations

import enum

from rfs.di.errors import RegistrationError


class Scope(enum.StrEnum):
    """How long a provided object lives.

    ``SINGLETON``: one per registry, created once (thread- and task-safe).
    ``PROTOTYPE`` (alias ``TRANSIENT``): a new object on every resolve, not tracked for shutdown.
    ``REQUEST``: one per open request scope (``async with registry.request_scope()``).
    """

    SINGLETON = "singleton"
    PROTOTYPE = "prototype"
    REQUEST = "request"
    TRANSIENT = "prototype"


ScopeLike = Scope | str | enum.Enum


def as_scope(value: ScopeLike) -> Scope:
    """Accept a ``Scope``, its name, or a v4 ``ServiceScope``/``ComponentScope`` member."""
    if isinstance(value, Scope):
        return value
    raw = value.value if isinstance(value, enum.Enum) else value
    text = str(raw).lower()
    if text == "transient":
        return Scope.PROTOTYPE
    try:
        return Scope(text)
    except ValueError:
        choices = ", ".join(
            repr(s.value) for s in (Scope.SINGLETON, Scope.PROTOTYPE, Scope.REQUEST)
        )
        raise RegistrationError(f"unknown scope {value!r}; use one of {choices}") from None
