"""Serializers: JSON by default, pickle only signed; any bad payload is a ValueError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs.cache import CacheSerializationError, Entry, JsonSerializer, SignedPickleSerializer
from rfs.result import Failure, Success


@pytest.mark.parametrize("value", [Success({"a": [1, 2]}), Failure("nope"), 3, None])
def test_json_round_trip_keeps_the_result_variant(value: object) -> None:
    """Success, Failure and plain values come back as themselves, with times and tags."""
    serializer = JsonSerializer()
    back = serializer.loads(serializer.dumps(Entry(value, 1.5, 2.5, ("t",))))
    assert (back.value, back.fresh_until, back.stale_until, back.tags) == (value, 1.5, 2.5, ("t",))


def test_json_refuses_an_object_with_a_clear_error() -> None:
    """A value JSON cannot hold fails at dumps, naming its type and the pickle option."""
    with pytest.raises(CacheSerializationError, match=r"cannot store a object as JSON.*Signed"):
        JsonSerializer().dumps(Entry(Success(object()), 1, 2))


def test_signed_pickle_round_trip_and_tamper() -> None:
    """Signed pickle restores any value; a flipped byte or another key is refused unread."""
    serializer = SignedPickleSerializer(key="k1")
    data = serializer.dumps(Entry(Success({1, 2}), 1, 2))
    assert serializer.loads(data).value == Success({1, 2})
    tampered = data[:-1] + bytes([data[-1] ^ 1])
    with pytest.raises(ValueError, match="signature"):
        serializer.loads(tampered)
    with pytest.raises(ValueError, match="signature"):
        SignedPickleSerializer(key="k2").loads(data)


def test_signed_pickle_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a key or RFS_SIGNING_KEY the serializer cannot be built."""
    monkeypatch.delenv("RFS_SIGNING_KEY", raising=False)
    with pytest.raises(ValueError, match="RFS_SIGNING_KEY"):
        SignedPickleSerializer()
    monkeypatch.setenv("RFS_SIGNING_KEY", "from-env")
    assert (
        SignedPickleSerializer()
        .loads(SignedPickleSerializer("from-env").dumps(Entry(1, 1, 2)))
        .value
        == 1
    )


@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: ("j" + t).encode()))
def test_garbage_is_a_value_error(data: bytes) -> None:
    """Any bytes either decode to an entry or raise ValueError, never anything else."""
    for serializer in (JsonSerializer(), SignedPickleSerializer(key="k")):
        with contextlib.suppress(ValueError):
            serializer.loads(data)


def test_deep_nesting_is_a_value_error() -> None:
    """A deeply nested JSON payload is refused as a ValueError, not a RecursionError."""
    with pytest.raises(ValueError):
        JsonSerializer().loads(b"j" + b"[" * 100_000 + b"]" * 100_000)
