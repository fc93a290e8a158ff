"""Tests for ``rfs.events.event``: fields, seed subclasses, JSON round trip."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

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


def test_attrs_never_shadow_methods() -> None:
    """Decoded ``attrs`` named like methods or slots go to ``extra_attrs``: the methods still
    work, nothing is lost, and the event re-encodes with the same attrs."""
    raw = '{"topic": "a.b", "attrs": {"with_topic": 1, "to_dict": 2, "topic": 3, "note": 4}}'
    event = Event.from_json(raw).unwrap()
    assert event.with_topic("c").topic == "c"
    assert event.to_dict()["attrs"] == {"with_topic": 1, "to_dict": 2, "topic": 3, "note": 4}
    assert event.extra_attrs == {"with_topic": 1, "to_dict": 2, "topic": 3}
    assert event.note == 4  # type: ignore[attr-defined]
    assert event.topic == "a.b"
    assert Event.from_json(event.to_json()).unwrap() == event


class Prioritised(Event, type_name="tests.prioritised"):
    priority = 0  # a class default that instances override

    def describe(self) -> str:
        return f"{self.topic}@{self.priority}"


def test_subclass_fields_restore_but_methods_stay() -> None:
    """A subclass's instance fields (even over a class default) come back as attributes; an
    attr named like one of its methods or ``type_name`` does not replace it."""
    event = Prioritised("jobs.run")
    event.priority = 5
    decoded = Event.from_json(event.to_json()).unwrap()
    assert type(decoded) is Prioritised and decoded.priority == 5
    hostile = event.to_dict() | {"attrs": {"describe": "x", "type_name": "evil", "__class__": 1}}
    back = Event.from_dict(hostile).unwrap()
    assert isinstance(back, Prioritised) and back.describe() == "jobs.run@0"
    assert back.to_dict()["type"] == "tests.prioritised"
    assert set(back.extra_attrs) == {"describe", "type_name", "__class__"}


def test_with_topic_and_pickle_keep_extra_attrs() -> None:
    """``with_topic`` copies and pickling keeps the attrs that were set aside."""
    event = Event.from_json('{"topic": "a", "attrs": {"to_json": [1]}}').unwrap()
    assert event.with_topic("b").extra_attrs == {"to_json": [1]}
    assert pickle.loads(pickle.dumps(event)).extra_attrs == {"to_json": [1]}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ('{"topic": "a..b"}', "empty"),
        ('{"topic": "a.*"}', "wildcard"),
        ('{"topic": "' + "a." * 200 + 'a"}', "segments"),
        ('{"topic": "a", "timestamp": 1e400}', "outside years"),
        ('{"topic": "a", "timestamp": -1e400}', "outside years"),
        ('{"topic": "a", "timestamp": NaN}', "outside years"),
        ('{"topic": "a", "timestamp": 1e300}', "outside years"),
        ('{"topic": "a", "timestamp": true}', "must be a number"),
        ('{"topic": "a", "timestamp": "12"}', "must be a number"),
        ('{"topic": "a", "headers": [1]}', "must be an object"),
        ('{"topic": "a", "headers": {"k": {"x": 1}}}', "must be a string"),
        ('{"topic": "a", "attrs": [1]}', "must be an object"),
        ('{"topic": "a", "id": [1]}', "must be a string"),
        ('{"topic": "a", "type": {}}', "must be a string"),
        ('{"topic": "a", "correlation_id": 1.5}', "must be a string"),
        ("[" * 3000, "nested deeper"),
        ('{"topic": "a", "data": ' + "[" * 200 + "]" * 200 + "}", "nested deeper"),
        ('{"topic": "a", "data": ' + '{"k":' * 300 + "1" + "}" * 300 + "}", "nested deeper"),
        ("1" * 5000, "invalid JSON"),
    ],
)
def test_decoding_refuses_with_the_reason(raw: str, why: str) -> None:
    """Invalid topics, non-finite or out-of-range timestamps, wrong types and deep nesting are
    refused with ``DecodeError`` naming the reason; nothing escapes as an exception."""
    result = Event.from_json(raw)
    assert isinstance(result, Failure) and isinstance(result.error, DecodeError)
    assert why in str(result.error)
    assert len(str(result.error)) < 500  # the input is never echoed whole


def test_size_cap_and_wrong_argument_types() -> None:
    """Over ``max_size`` is refused before parsing; a non-text argument is a ``DecodeError``."""
    body = Event("a", "x" * 1000).to_json()
    assert Event.from_json(body).is_success()
    too_big = Event.from_json(body, max_size=500)
    assert isinstance(too_big, Failure) and "over 500" in str(too_big.error)
    for wrong in (None, 5, [b"{}"], object()):
        result = Event.from_json(wrong)  # type: ignore[arg-type]
        assert isinstance(result, Failure) and isinstance(result.error, DecodeError)
    assert Event.from_dict([1, 2]).is_failure()  # type: ignore[arg-type]
    assert Event.from_json(memoryview(body.encode())).unwrap().data == "x" * 1000  # type: ignore[arg-type]


def test_decoded_timestamp_is_kept_and_occurred_at_works() -> None:
    """A timestamp of 0 or at the ends of the range is kept (not replaced by now), and
    ``occurred_at`` works for every accepted timestamp."""
    for stamp in (0, -62135596800, 253402300799, 1.5):
        event = Event.from_json(f'{{"topic": "a", "timestamp": {stamp}}}').unwrap()
        assert event.timestamp == stamp
        assert event.occurred_at.tzinfo is UTC
