"""Tests for ``rfs.events.event``: fields, seed subclasses, JSON round trip."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

from rfs.events import DecodeError, Event, EventBase
from rfs.result import Failure, Success


class DataEvent(EventBase):
    def __init__(self, topic: str, data: dict[str, int], **kwargs: object) -> None:
        super().__init__(topic=topic, data=data, **kwargs)  # type: ignore[arg-type]
        self.data = data


class Tagged(Event, type_name="tests.tagged"):
    pass


def test_defaults_are_filled() -> None:
    """A bare event gets an id, a timestamp, empty headers and no correlation id."""
    event = Event("a.b", {"x": 1})
    assert len(event.id) == 32
    assert event.id == event.id
    assert abs(event.timestamp - datetime.now(UTC).timestamp()) < 5
    assert event.headers == {} and event.correlation_id is None
    assert event.occurred_at.tzinfo is UTC


def test_seed_subclass_with_own_init_round_trips_as_itself() -> None:
    """The seed's ``DataEvent(EventBase)`` decodes from JSON back into a ``DataEvent``."""
    event = DataEvent(topic="data.ingestion", data={"rows": 100}, correlation_id="c1")
    event.extra = "kept"  # type: ignore[attr-defined]
    decoded = Event.from_json(event.to_json())
    assert isinstance(decoded, Success)
    assert type(decoded.value) is DataEvent
    assert decoded.value == event
    assert decoded.value.extra == "kept"  # type: ignore[attr-defined]


def test_explicit_type_name_is_used() -> None:
    """``type_name=`` in the class statement names the type on the wire."""
    assert '"type":"tests.tagged"' in Tagged("t").to_json()
    assert type(Event.from_json(Tagged("t").to_json()).unwrap()) is Tagged


def test_unknown_type_decodes_as_plain_event() -> None:
    """A type name nobody registered decodes as ``Event``, data intact."""
    raw = Event("t", [1]).to_dict() | {"type": "nowhere.Gone"}
    decoded = Event.from_dict(raw).unwrap()
    assert type(decoded) is Event and decoded.data == [1]


def test_garbage_is_a_failure_not_an_exception() -> None:
    """Invalid JSON, a non-object, or a missing topic each give ``Failure(DecodeError)``."""
    for raw in (b"\xff\x00garbage", "[1, 2]", '{"data": 1}', '{"topic": 5, "id": "x"}'):
        result = Event.from_json(raw)
        assert isinstance(result, Failure) and isinstance(result.error, DecodeError), raw


def test_pickle_keeps_class_and_fields() -> None:
    """Events pickle (for multiprocessing) with their class, id and extra attributes."""
    event = DataEvent(topic="a", data={"n": 1}, headers={"h": "v"})
    event.more = 3  # type: ignore[attr-defined]
    back = pickle.loads(pickle.dumps(event))
    assert type(back) is DataEvent and back == event and back.more == 3


def test_with_topic_copies() -> None:
    """``with_topic`` returns a copy on the new topic, same id, original untouched."""
    event = Event("a", 1, headers={"k": "v"})
    moved = event.with_topic("b")
    assert moved.topic == "b" and moved.id == event.id and event.topic == "a"
    moved.headers["k"] = "changed"
    assert event.headers["k"] == "v"
