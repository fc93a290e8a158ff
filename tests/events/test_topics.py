"""Tests for ``rfs.events.topics``: validation messages and matching against a reference."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.events import InvalidTopicError, compile_pattern, matches, validate_topic


def reference(pattern: list[str], topic: list[str]) -> bool:
    """A slow, obviously right matcher over segment lists."""
    if not pattern:
        return not topic
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(reference(rest, topic[i:]) for i in range(len(topic) + 1))
    if not topic:
        return False
    if head == "*" or topic[0] in head.split("|"):
        return reference(rest, topic[1:])
    return False


WORDS = st.sampled_from(["a", "b", "c", "orders", "x-1"])
TOPICS = st.lists(WORDS, min_size=1, max_size=6).map(".".join)
SEGMENTS = st.one_of(
    WORDS, st.just("*"), st.just("**"), st.lists(WORDS, min_size=2, max_size=3).map("|".join)
)
PATTERNS = st.lists(SEGMENTS, min_size=1, max_size=5).map(".".join)


@settings(deadline=None)
@given(PATTERNS, TOPICS)
def test_matches_agrees_with_reference(pattern: str, topic: str) -> None:
    """The compiled matcher agrees with the reference matcher on any pattern and topic."""
    assert matches(pattern, topic) == reference(pattern.split("."), topic.split("."))


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("a.*", "a.b", True),
        ("a.*", "a.b.c", False),
        ("a.*", "a", False),
        ("a.**", "a", True),
        ("a.**", "a.b.c", True),
        ("**.c", "c", True),
        ("a.**.c", "a.c", True),
        ("a.**.c", "a.b.b.c", True),
        ("a.**.c", "a.b.d", False),
        ("**", "anything.at.all", True),
        ("a|b.x", "b.x", True),
        ("a|b.x", "c.x", False),
        ("a.b", "a.b", True),
        ("a.b", "a.bb", False),
    ],
)
def test_pattern_table(pattern: str, topic: str, expected: bool) -> None:
    """The documented examples of each wildcard behave as the table in docs/events.md says."""
    assert matches(pattern, topic) is expected


def test_compiled_once() -> None:
    """The same pattern string compiles to the same cached object."""
    assert compile_pattern("q.*.r|s") is compile_pattern("q.*.r|s")


@pytest.mark.parametrize(
    ("text", "segment", "why"),
    [
        ("orders..created", "segment 2 ('')", "empty"),
        ("orders.cre ated", "segment 2 ('cre ated')", "' '"),
        ("a.**b", "segment 2 ('**b')", "glues a wildcard"),
        ("a*.b", "segment 1 ('a*')", "glues a wildcard"),
        ("a.b|", "segment 2 ('b|')", "empty alternative"),
        ("a.*|b", "segment 2 ('*|b')", "wildcard into alternatives"),
        ("a.", "segment 2 ('')", "empty"),
    ],
)
def test_invalid_pattern_points_at_segment(text: str, segment: str, why: str) -> None:
    """An invalid pattern is refused with the segment number, its text, the reason and a caret."""
    with pytest.raises(InvalidTopicError) as info:
        compile_pattern(text)
    message = str(info.value)
    assert segment in message and why in message and "^" in message


def test_invalid_topics() -> None:
    """Concrete topics refuse wildcards, alternatives and empties."""
    assert validate_topic("a.b-c:d_e") == "a.b-c:d_e"
    for bad in ("", "a.*", "a|b", "a..b", "a b"):
        with pytest.raises(InvalidTopicError):
            validate_topic(bad)


def test_caret_is_under_the_segment() -> None:
    """The caret line lines up with the offending segment."""
    with pytest.raises(InvalidTopicError) as info:
        compile_pattern("ok.bad!x.z")
    message = str(info.value)
    text_line, caret_line = message.splitlines()[-2:]
    start = caret_line.index("^")
    assert text_line[start : start + len("bad!x")] == "bad!x"
