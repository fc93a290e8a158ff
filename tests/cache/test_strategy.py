"""CacheStrategy and how ttl= and strategy= combine."""

from __future__ import annotations

import pytest

from rfs.cache import CacheStrategy, resolve_ttl


def test_members_keep_the_seed_values() -> None:
    """The five members and their seconds are exactly seed 003's."""
    assert {m.name: m.value for m in CacheStrategy} == {
        "NEVER": None,
        "SHORT": 300,
        "MEDIUM": 3600,
        "LONG": 86400,
        "VERY_LONG": 604800,
    }


@pytest.mark.parametrize(
    ("ttl", "strategy", "expected"),
    [
        (3600, "MEDIUM", 3600),
        (None, "short", 300),
        (None, CacheStrategy.LONG, 86400),
        (5, None, 5),
        (None, None, 3600),
        (None, "NEVER", None),
    ],
)
def test_ttl_and_strategy_resolve(ttl: float | None, strategy: str | None, expected: float) -> None:
    """A strategy by name (any case) or member gives its TTL; ttl alone is taken as given."""
    assert resolve_ttl(ttl, strategy) == expected


def test_disagreeing_ttl_and_strategy_are_refused() -> None:
    """ttl=60 with strategy MEDIUM is a contradiction, reported with both values."""
    with pytest.raises(ValueError, match=r"ttl=60 disagrees with strategy=MEDIUM \(3600"):
        resolve_ttl(60, "MEDIUM")


def test_unknown_strategy_names_the_choices() -> None:
    """A misspelt strategy lists the valid names."""
    with pytest.raises(ValueError, match="use one of NEVER, SHORT, MEDIUM"):
        resolve_ttl(None, "MEDUIM")


@pytest.mark.parametrize("ttl", [-1, float("nan")])
def test_bad_ttl_is_refused(ttl: float) -> None:
    """A negative or NaN TTL is an error, not a cache that never hits."""
    with pytest.raises(ValueError, match="ttl must be"):
        resolve_ttl(ttl, None)
