"""Stable, unambiguous keys; the instance left out of methods; clear errors for bad arguments."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import subprocess
import sys
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs.cache import CacheKeyError, KeyBuilder, MemoryBackend, cached, encode


def profile(user_id: str, detail: bool = False) -> str:
    return user_id


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int


def test_default_key_names_the_function_and_arguments() -> None:
    """The key reads module.qualname(arguments), defaults filled in."""
    keys = KeyBuilder(profile)
    assert keys.build(("u1",), {}) == f'{__name__}.profile("u1",False)'


def test_positional_keyword_and_default_spellings_share_a_key() -> None:
    """f(1), f(x=1) and f(1, default) are one call, so one key."""
    keys = KeyBuilder(profile)
    same = {
        keys.build(("u1",), {}),
        keys.build((), {"user_id": "u1"}),
        keys.build(("u1", False), {}),
        keys.build(("u1",), {"detail": False}),
    }
    assert len(same) == 1
    assert keys.build(("u1", True), {}) not in same


def test_keys_are_the_same_in_another_process() -> None:
    """A key does not depend on hash randomisation: another interpreter builds the same one."""
    code = (
        "import dataclasses, enum\n"
        "from rfs.cache import KeyBuilder, encode\n"
        "def profile(user_id, detail=False): ...\n"
        "Color = enum.Enum('Color', 'RED')\n"
        "Point = dataclasses.make_dataclass('Point', ['x', 'y'])\n"
        "print(KeyBuilder(profile).build(('ü\"x',), {}))\n"
        "print(encode({'b': {1, 'z'}, 'a': (Color.RED, Point(1, 2), b'\\x00')}))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1
    assert 'profile("ü\\"x",False)' in outs.pop()


def test_rich_values_have_readable_encodings() -> None:
    """Dates, UUIDs, enums, dataclasses and sets encode by value, sets in sorted order."""
    when = datetime.date(2026, 1, 2)
    ident = uuid.UUID(int=1)
    assert encode(when) == "date:2026-01-02"
    assert encode(ident) == f"UUID:{ident}"
    assert encode(Color.RED) == "Color.RED"
    assert encode(Point(1, 2)) == "Point(1,2)"
    assert encode({3, 1, 2}) == encode({2, 3, 1}) == "set{1,2,3}"
    assert encode({"b": 1, "a": 2}) == encode({"a": 2, "b": 1})


def test_cache_key_method_is_used() -> None:
    """An object with __cache_key__ is keyed by what that returns."""

    class Tenant:
        def __init__(self, slug: str) -> None:
            self.slug = slug

        def __cache_key__(self) -> str:
            return self.slug

    assert encode(Tenant("acme")) == encode(Tenant("acme")) == 'Tenant:"acme"'


def test_an_unkeyable_argument_names_itself_and_the_fixes() -> None:
    """An argument with no stable encoding fails at the first call, naming it and key=."""

    @cached(ttl=60, backend=MemoryBackend())
    def load(conn: Any, user_id: str) -> str:
        return user_id

    with pytest.raises(CacheKeyError, match=r"argument 'conn' of .*load \(object\).*key="):
        load(object(), "u1")


def test_a_template_naming_a_missing_parameter_fails_at_decoration() -> None:
    """key='user:{uid}' on a function without uid is refused before any call."""
    with pytest.raises(CacheKeyError, match=r"names \{uid\}, but the parameters are \['user_id'\]"):

        @cached(ttl=60, key="user:{uid}")
        def load(user_id: str) -> str:
            return user_id


def test_template_and_function_keys() -> None:
    """A template formats the bound arguments; a key function receives the call."""

    @cached(ttl=60, key="user:{user_id}", backend=MemoryBackend())
    def by_template(user_id: str, verbose: bool = False) -> str:
        return user_id

    @cached(ttl=60, key=lambda user_id: f"u/{user_id}", backend=MemoryBackend())
    def by_function(user_id: str) -> str:
        return user_id

    assert by_template.key_for(user_id="7") == "user:7"
    assert by_function.key_for("7") == "u/7"


def test_method_keys_leave_the_instance_out() -> None:
    """Two instances share entries: self is not part of the default key."""

    class Repo:
        calls = 0

        @cached(ttl=60, backend=MemoryBackend())
        def get(self, item_id: int) -> int:
            Repo.calls += 1
            return item_id * 2

    assert Repo().get(3) == Repo().get(3) == 6
    assert Repo.calls == 1
    assert Repo.get.key_for(None, 3).endswith("Repo.get(3)")


def test_a_template_can_put_the_instance_in_the_key() -> None:
    """key='{self.tenant}:{item_id}' keys per instance attribute."""

    class Repo:
        def __init__(self, tenant: str) -> None:
            self.tenant = tenant

        @cached(ttl=60, key="{self.tenant}:{item_id}", backend=MemoryBackend())
        def get(self, item_id: int) -> str:
            return f"{self.tenant}/{item_id}"

    assert Repo("a").get(1) == "a/1"
    assert Repo("b").get(1) == "b/1"


def test_long_arguments_are_digested() -> None:
    """A key past 250 characters of arguments keeps the function prefix and a digest."""
    key = KeyBuilder(profile).build(("x" * 1000,), {})
    assert key.startswith(f"{__name__}.profile(#") and len(key) < 100


values = st.recursive(
    st.none() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner),
    max_leaves=8,
)


@given(values, values)
def test_encoding_is_injective(a: Any, b: Any) -> None:
    """Two values share an encoding exactly when they are equal (lists and tuples differ)."""

    def same(x: Any, y: Any) -> bool:
        if type(x) is not type(y):
            return False
        if isinstance(x, list | tuple):
            return len(x) == len(y) and all(same(i, j) for i, j in zip(x, y, strict=True))
        return bool(x == y)

    assert (encode(a) == encode(b)) == same(a, b)
