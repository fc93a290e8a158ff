"""Exceptions for wiring mistakes: each names the dependency chain and the fix."""

from __future__ import annotations

from collections.abc import Sequence

ARROW = " → "


def format_chain(chain: Sequence[str]) -> str:
    """Join labels as ``A → B → C``."""
    return ARROW.join(chain)


class DIError(Exception):
    """A programmer error in the dependency wiring (never an expected runtime failure)."""

    def __init__(self, message: str, chain: Sequence[str] = (), root: object = None) -> None:
        super().__init__(message)
        self.chain: tuple[str, ...] = tuple(chain)
        self.root: object = root if root is not None else (type(self), self.chain)
        """What identifies the underlying problem (the same root reached by two paths)."""
        self.related: list[DIError] = []
        """Further problems found in the same constructor (reported by ``validate``)."""


class RegistrationError(DIError, TypeError):
    """An annotation or ``register`` call used wrongly (bad option, not a class, ...)."""


class MissingBindingError(DIError, LookupError):
    """Nothing provides a dependency under the active profiles."""


class AmbiguousBindingError(DIError):
    """Several providers match a dependency and none is ``primary``."""


class CircularDependencyError(DIError):
    """Constructors depend on each other in a cycle (``A → B → A``)."""


class ScopeViolationError(DIError):
    """A longer-lived object depends on a shorter-lived one (singleton → request)."""


class PortMismatchError(DIError):
    """An adapter lacks a method or attribute its port declares."""


class ScopeNotActiveError(DIError):
    """A request-scoped object was resolved outside any request scope."""


class AsyncResolutionError(DIError):
    """An object needing ``await`` (async factory or hook) was resolved synchronously."""


class ContainerValidationError(DIError):
    """``Registry.validate()`` found problems; ``errors`` lists each one."""

    def __init__(self, errors: Sequence[DIError]) -> None:
        lines = [f"{len(errors)} problem(s) in the dependency graph:"]
        lines += [f"  {i}. {type(e).__name__}: {e}" for i, e in enumerate(errors, start=1)]
        super().__init__("\n".join(lines))
        self.errors: tuple[DIError, ...] = tuple(errors)
