"""LocalMemory: the seed's indexes stay exact under add, update and delete (against a list)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from rfs.cache import LocalMemory, UnindexedQueryError


def test_seed_003_snippet_runs() -> None:
    """The seed's structure and queries work as written: data, indexes, query_by_*."""
    memory = LocalMemory()
    memory.add({"id": "a", "type": "note", "owner": "kim", "timestamp": 2})
    memory.add({"id": "b", "type": "task", "owner": "kim", "timestamp": 1})
    assert set(memory.indexes) >= {"id", "type", "owner", "timestamp"}
    assert memory.data["a"]["type"] == "note"
    assert memory.indexes["id"]["b"]["type"] == "task"
    assert [i["id"] for i in memory.query_by_type("note")] == ["a"]
    assert [i["id"] for i in memory.query_by_owner("kim")] == ["a", "b"]
    assert memory.query_by_type("missing") == []
    assert [i["id"] for i in memory.indexes["type"].get("task", [])] == ["b"]


def test_update_moves_an_item_between_buckets() -> None:
    """An item whose type and owner change leaves its old buckets and joins the new ones."""
    memory = LocalMemory()
    memory.add({"id": 1, "type": "a", "owner": "x", "timestamp": 5})
    memory.update({"id": 1, "type": "b", "owner": "y", "timestamp": 1})
    assert memory.query_by_type("a") == [] and memory.query_by_owner("x") == []
    assert len(memory.query_by_type("b")) == 1 and len(memory.query_by_owner("y")) == 1
    assert "a" not in memory.indexes["type"]
    assert memory.query_by_time_range(0, 2) == [memory.get(1)]


def test_objects_and_secondary_indexes() -> None:
    """Objects index by attribute; a named index answers query(); others are refused."""

    @dataclasses.dataclass
    class Doc:
        id: int
        type: str
        owner: str
        timestamp: float
        status: str

    memory = LocalMemory(indexes=["status"])
    memory.add(Doc(1, "doc", "kim", 1.0, "draft"))
    memory.add(Doc(2, "doc", "lee", 2.0, "final"))
    memory.add_index("owner_initial", key=lambda d: d.owner[0])
    assert [d.id for d in memory.query("status", "final")] == [2]
    assert [d.id for d in memory.query("owner_initial", "k")] == [1]
    with pytest.raises(UnindexedQueryError, match=r"no index on 'color'.*add_index\('color'\)"):
        memory.query("color", "red")


def test_a_bucket_is_a_live_read_only_view() -> None:
    """A query result follows later writes and offers no way to mutate the index."""
    memory = LocalMemory()
    notes = memory.query_by_type("note")
    memory.add({"id": 1, "type": "note"})
    assert len(memory.query_by_type("note")) == 1
    assert not hasattr(notes, "append")


TYPES, OWNERS = ["a", "b", "c"], ["x", "y"]


class Store(RuleBasedStateMachine):
    """Random adds, updates and deletes; every query equals a brute-force scan of a list."""

    def __init__(self) -> None:
        super().__init__()
        self.memory = LocalMemory(indexes=["color"])
        self.model: dict[int, dict[str, Any]] = {}

    @rule(
        item_id=st.integers(0, 12),
        kind=st.sampled_from(TYPES),
        owner=st.sampled_from(OWNERS),
        stamp=st.integers(0, 20) | st.none(),
        color=st.sampled_from(["red", "blue"]),
    )
    def put(self, item_id: int, kind: str, owner: str, stamp: int | None, color: str) -> None:
        item = {"id": item_id, "type": kind, "owner": owner, "timestamp": stamp, "color": color}
        self.memory.add(item)
        self.model[item_id] = item

    @rule(item_id=st.integers(0, 12))
    def delete(self, item_id: int) -> None:
        assert self.memory.delete(item_id) == (item_id in self.model)
        self.model.pop(item_id, None)

    @rule(lo=st.integers(0, 20), hi=st.integers(0, 21))
    def time_range(self, lo: int, hi: int) -> None:
        expected = sorted(
            (
                i
                for i in self.model.values()
                if i["timestamp"] is not None and lo <= i["timestamp"] < hi
            ),
            key=lambda i: i["timestamp"],
        )
        got = self.memory.query_by_time_range(lo, hi)
        assert [i["timestamp"] for i in got] == [i["timestamp"] for i in expected]
        assert sorted(i["id"] for i in got) == sorted(i["id"] for i in expected)

    @invariant()
    def indexes_match_a_scan(self) -> None:
        items = list(self.model.values())
        for kind in TYPES:
            assert {i["id"] for i in self.memory.query_by_type(kind)} == {
                i["id"] for i in items if i["type"] == kind
            }
        for owner in OWNERS:
            assert {i["id"] for i in self.memory.query_by_owner(owner)} == {
                i["id"] for i in items if i["owner"] == owner
            }
        assert {i["id"] for i in self.memory.query("color", "red")} == {
            i["id"] for i in items if i["color"] == "red"
        }
        assert len(self.memory) == len(items)


Store.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestStore = Store.TestCase
