"""Fuzzing every decoder and parser of the event system with hypothesis: arbitrary bytes,
arbitrary nested JSON and hostile envelopes go in; only the documented error comes out, and
every call returns at once (each example has a deadline)."""

from __future__ import annotations

import json
import pickle
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfs.events import DecodeError, Event, InvalidTopicError, compile_pattern, validate_topic
from rfs.events.server import Incoming
from rfs.events.subscription import make_dead_letter
from rfs.result import Failure, Result, Success

FUZZ = settings(
    deadline=timedelta(seconds=5),  # an example takes milliseconds; generous for a shared machine
    max_examples=80,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=15,
)
NAMES = st.sampled_from(
    [
        "with_topic",
        "to_dict",
        "to_json",
        "topic",
        "id",
        "_id",
        "__class__",
        "__dict__",
        "type_name",
        "extra_attrs",
        "occurred_at",
        "from_json",
        "note",
        "x y",
        "",
    ]
)
TOPIC_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["a", "a.b", "a..b", "a.*", "dead_letter.x", "x" * 1100, ".".join("a" * 130)]),
)
ENVELOPES = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(JSON, st.sampled_from(["rfs.events.event.Event", "nowhere.Gone"])),
        "topic": st.one_of(TOPIC_TEXT, JSON),
        "data": JSON,
        "id": JSON,
        "timestamp": st.one_of(JSON, st.sampled_from([1e400, -1e400, 1e300, 0, 1.7e9])),
        "headers": st.one_of(JSON, st.dictionaries(st.text(max_size=5), JSON, max_size=3)),
        "correlation_id": JSON,
        "attrs": st.one_of(JSON, st.dictionaries(NAMES, JSON, max_size=5)),
    },
)
DEPTHS = st.integers(min_value=1, max_value=6000)
NESTED = st.builds(
    lambda depth, opener, wrap: (wrap[0] + opener * depth + wrap[1]).encode(),
    DEPTHS,
    st.sampled_from(["[", '{"a":', '{"data":[', "[{}", '["\\ud800",']),
    st.sampled_from([("", ""), ('{"topic":"a","data":', "}"), ('{"topic":"a","attrs":', "}")]),
)


def assert_decode_result(result: Result[Event, DecodeError]) -> None:
    """A decoder's answer: a usable event, or ``Failure(DecodeError)``; nothing else."""
    assert isinstance(result, Success | Failure)
    if isinstance(result, Failure):
        assert isinstance(result.error, DecodeError)
        assert len(str(result.error)) < 1000
        return
    event = result.value
    assert validate_topic(event.topic) == event.topic
    assert event.occurred_at is not None
    assert Event.from_json(event.to_json()).unwrap() == event  # re-encodes (dead letters do)
    assert event.with_topic("dead_letter.x").to_dict()["topic"] == "dead_letter.x"


@FUZZ
@given(st.one_of(st.binary(max_size=3000), NESTED))
def test_from_json_on_arbitrary_bytes(raw: bytes) -> None:
    """Any bytes: an event or ``Failure(DecodeError)``, never an exception."""
    assert_decode_result(Event.from_json(raw))
    assert_decode_result(Event.from_json(raw.decode("utf-8", "surrogateescape")))


@FUZZ
@given(st.one_of(JSON, ENVELOPES))
def test_from_json_on_arbitrary_json(value: Any) -> None:
    """Any JSON document, including hostile event envelopes: an event or a ``DecodeError``."""
    assert_decode_result(Event.from_json(json.dumps(value)))
    if isinstance(value, dict):
        assert_decode_result(Event.from_dict(value))


def assert_incoming(item: Incoming) -> None:
    assert isinstance(item.attempt, int) and item.attempt >= 1
    assert isinstance(item.topic, str)
    assert_decode_result(item.decoded)
    # the dead letter of anything undecodable can be built and encoded
    error = item.decoded.error if isinstance(item.decoded, Failure) else RuntimeError("x")
    letter = make_dead_letter(None, error, deliveries=1, topic=item.topic, group="g", raw=item.raw)
    assert validate_topic(letter.topic) and json.loads(letter.to_json())["data"]["size"] >= 0


WIRE = st.one_of(st.binary(max_size=2000), NESTED, JSON.map(lambda v: json.dumps(v).encode()))


@FUZZ
@given(
    st.one_of(
        st.dictionaries(st.sampled_from([b"event", b"topic", b"x"]), WIRE, max_size=3),
        JSON,
    ),
    st.integers(),
)
def test_redis_unpack(fields: Any, attempt: int) -> None:
    """Redis entries with any fields decode to an event or a ``DecodeError``."""
    redis_streams = pytest.importorskip("rfs.events.backends.redis_streams")
    assert_incoming(redis_streams.unpack_entry(b"1-0", fields, attempt))


@FUZZ
@given(
    st.text(max_size=60), st.one_of(st.text(max_size=80), st.just("$JS.ACK.S.c.x.1.1.1.1")), WIRE
)
def test_nats_unpack(subject: str, reply: str, data: bytes) -> None:
    """JetStream messages with any subject, reply and body decode to an event or an error."""
    nats_jetstream = pytest.importorskip("rfs.events.backends.nats_jetstream")
    from nats.aio.msg import Msg

    msg = Msg(_client=None, subject=subject, reply=reply, data=data)  # type: ignore[arg-type]
    assert_incoming(nats_jetstream.unpack_message(msg, 4))


@FUZZ
@given(
    WIRE,
    st.one_of(st.text(max_size=40), st.none()),
    st.one_of(
        JSON,
        st.dictionaries(st.sampled_from(["x-delivery-count", "x-rfs-deliveries", "other"]), JSON),
    ),
    JSON,
)
def test_rabbitmq_unpack(body: bytes, key: str | None, headers: Any, redelivered: Any) -> None:
    """AMQP messages with any body, routing key and headers decode to an event or an error."""
    rabbitmq = pytest.importorskip("rfs.events.backends.rabbitmq")
    message = SimpleNamespace(body=body, routing_key=key, headers=headers, redelivered=redelivered)
    assert_incoming(rabbitmq.unpack_message(message))


@FUZZ
@given(st.one_of(st.binary(max_size=500), JSON.map(pickle.dumps), JSON))
def test_multiprocess_unpack(raw: Any) -> None:
    """A queue item that is not a valid pickle raises ``DecodeError`` and nothing else."""
    from rfs.events.backends.multiprocess import unpack_item

    try:
        unpack_item(raw)
    except DecodeError as exc:
        assert str(exc)


@FUZZ
@given(st.one_of(TOPIC_TEXT, JSON))
def test_topic_parser(text: Any) -> None:
    """``validate_topic`` returns the topic or raises ``InvalidTopicError``, for any value."""
    try:
        assert validate_topic(text) == text
    except InvalidTopicError as exc:
        assert len(str(exc)) < 3 * 1024


PATTERN_TEXT = st.one_of(
    TOPIC_TEXT,
    st.lists(st.sampled_from(["*", "**", "a", "b|c", "", "a*", "|"]), max_size=140).map(".".join),
)


@FUZZ
@given(
    st.one_of(PATTERN_TEXT, JSON),
    st.one_of(
        TOPIC_TEXT, st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=140).map(".".join)
    ),
)
def test_pattern_parser_and_matcher(pattern: Any, topic: str) -> None:
    """``compile_pattern`` gives a pattern or ``InvalidTopicError``; its matcher answers a
    bool for any text at once (linear time, whatever the wildcards)."""
    try:
        compiled = compile_pattern(pattern)
    except InvalidTopicError:
        return
    assert compiled.matches(topic) in (True, False)


def undo_durable(name: str) -> str | None:
    """The group a durable name came from (``None`` for a digest): proof it is injective."""
    if name.startswith("__") and "_" not in name[2:]:
        return None
    if not name.startswith("_"):
        return name
    out, rest = [], name[1:]
    while rest:
        if rest[0] == "_":
            code, _, rest = rest[1:].partition("_")
            out.append(chr(int(code, 16)))
        else:
            out.append(rest[0])
            rest = rest[1:]
    return "".join(out)


GROUPS = st.one_of(
    st.text(max_size=150),
    st.lists(st.sampled_from(["billing", ".", "_", "eu", "-", "__", "_2e_"]), max_size=12).map(
        "".join
    ),
)


@FUZZ
@given(GROUPS)
def test_nats_durable_names_are_injective_and_valid(group: str) -> None:
    """Every group's durable name is NATS-safe and decodes back to the group (so distinct
    groups never share a consumer); names too long for that become a digest."""
    nats_jetstream = pytest.importorskip("rfs.events.backends.nats_jetstream")
    name = nats_jetstream.durable_name(group)
    assert name and len(name) <= 128
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in name)
    assert undo_durable(name) in (group, None)
    if undo_durable(name) is None:
        assert len(group) > 15  # only long names are hashed
