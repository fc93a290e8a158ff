"""RFS v4's ``Operators``: static helpers combining Fluxes (``merge``, ``zip``...)."""

from __future__ import annotations

from typing import Any

from rfs.reactive import flux_ops
from rfs.reactive.flux import Flux

__all__ = ["Operators"]


class Operators:
    """``Operators.merge(a, b)`` and friends: the same as the ``Flux`` static methods."""

    @staticmethod
    def combine_latest(*sources: Flux[Any]) -> Flux[tuple[Any, ...]]:
        """A tuple of every source's latest item each time one emits (once all have)."""
        return Flux(flux_ops.combine_latest(*sources))

    @staticmethod
    def merge(*sources: Flux[Any]) -> Flux[Any]:
        return Flux.merge(*sources)

    @staticmethod
    def concat(*sources: Flux[Any]) -> Flux[Any]:
        return Flux.concat(*sources)

    @staticmethod
    def zip(*sources: Flux[Any]) -> Flux[tuple[Any, ...]]:
        return Flux.zip(*sources)
