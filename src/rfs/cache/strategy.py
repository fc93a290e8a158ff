"""TTL strategies (seed 003): named lifetimes, and how ``ttl=`` and ``strategy=`` combine."""

from __future__ import annotations

from enum import Enum

__all__ = ["CacheStrategy", "resolve_ttl"]


class CacheStrategy(Enum):
    """How long a value stays fresh, in seconds; ``NEVER`` turns caching off."""

    NEVER = None
    SHORT = 300
    MEDIUM = 3600
    LONG = 86400
    VERY_LONG = 604800


def _strategy(strategy: CacheStrategy | str) -> CacheStrategy:
    if isinstance(strategy, CacheStrategy):
        return strategy
    try:
        return CacheStrategy[strategy.upper()]
    except KeyError:
        names = ", ".join(member.name for member in CacheStrategy)
        raise ValueError(f"unknown cache strategy {strategy!r}; use one of {names}") from None


def resolve_ttl(ttl: float | None, strategy: CacheStrategy | str | None) -> float | None:
    """The TTL in seconds from ``ttl=`` and ``strategy=`` (``None``: do not cache).

    Either may be given; when both are, they must agree (``ttl=3600, strategy="MEDIUM"``),
    so a typo in one of them is an error instead of a silent choice. Neither: ``MEDIUM``.
    """
    if ttl is not None and (ttl != ttl or ttl < 0):  # NaN or negative
        raise ValueError(f"ttl must be a number of seconds >= 0, got {ttl!r}")
    if strategy is None:
        return CacheStrategy.MEDIUM.value if ttl is None else ttl
    member = _strategy(strategy)
    if ttl is not None and member.value != ttl:
        raise ValueError(
            f"ttl={ttl!r} disagrees with strategy={member.name} ({member.value!r} s); "
            "give one of them"
        )
    value: float | None = member.value
    return value
