"""Laws of the type-compatibility check the planner uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rfs.pipeline.schemas import is_compatible

LEAVES = st.sampled_from([int, float, str, bytes, bool, type(None), object])


def _types() -> st.SearchStrategy[Any]:
    return st.recursive(
        LEAVES,
        lambda inner: st.one_of(
            inner.map(lambda t: list[t]),  # type: ignore[valid-type]
            inner.map(lambda t: Sequence[t]),  # type: ignore[valid-type]
            st.tuples(LEAVES, inner).map(lambda kv: dict[kv[0], kv[1]]),  # type: ignore[valid-type]
            st.tuples(inner, inner).map(lambda ab: ab[0] | ab[1]),
        ),
        max_leaves=6,
    )


@given(_types())
def test_every_type_fits_itself_any_and_object(tp: Any) -> None:
    """Compatibility is reflexive, and Any and object accept everything."""
    assert is_compatible(tp, tp)
    assert is_compatible(tp, Any) and is_compatible(Any, tp)
    assert is_compatible(tp, object)


@given(_types(), _types())
def test_a_union_accepts_its_members(a: Any, b: Any) -> None:
    """Each member of a union fits the union (Optional included)."""
    assert is_compatible(a, a | b) and is_compatible(b, a | b)
    assert is_compatible(a, a | None)


@given(_types())
def test_containers_widen_covariantly(tp: Any) -> None:
    """list[T] fits Sequence[T] and Iterable[T]; dict[str, T] fits Mapping[str, T]."""
    assert is_compatible(list[tp], Sequence[tp])  # type: ignore[valid-type]
    assert is_compatible(list[tp], Iterable[tp])  # type: ignore[valid-type]
    assert is_compatible(dict[str, tp], Mapping[str, tp])  # type: ignore[valid-type]


def test_none_does_not_fit_a_required_value() -> None:
    """An Optional output does not fit a parameter that cannot take None."""
    assert not is_compatible(int | None, int)
    assert not is_compatible(Sequence[int], list[int])
