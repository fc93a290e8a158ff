"""Topics and patterns: validation with a pointer at the bad segment, compiled once and cached.

A topic is dot-separated segments of ``[A-Za-z0-9_:-]``. A pattern may also use ``*`` (exactly
one segment), ``**`` (zero or more segments) and ``a|b`` (either literal, in one segment).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from rfs.events.errors import InvalidTopicError

__all__ = ["Pattern", "compile_pattern", "matches", "validate_topic"]

_SEGMENT = re.compile(r"[A-Za-z0-9_:\-]+")
_SEGMENT_RE = r"[^.]+"
_RESULT_CACHE = 4096  # per wildcard pattern: topics recur, so their answers are kept


def _complain(kind: str, text: str, index: int, why: str) -> InvalidTopicError:
    segments = text.split(".")
    offset = sum(len(s) + 1 for s in segments[:index])
    width = max(1, len(segments[index]) if index < len(segments) else 1)
    caret = " " * (offset + 4) + "^" * width
    return InvalidTopicError(
        f"invalid {kind} {text!r}: segment {index + 1} ({segments[index]!r}) {why}\n"
        f"    {text}\n{caret}"
    )


def _check_literal(kind: str, text: str, index: int, segment: str) -> None:
    if not segment:
        raise _complain(kind, text, index, "is empty (two dots in a row, or a dot at an end)")
    if "*" in segment:
        raise _complain(kind, text, index, "glues a wildcard to text: '*' and '**' stand alone")
    if not _SEGMENT.fullmatch(segment):
        bad = sorted({c for c in segment if not _SEGMENT.fullmatch(c)})
        raise _complain(
            kind, text, index, f"has characters {''.join(bad)!r}; allowed: letters, digits, _ : -"
        )


_valid_topics: set[str] = set()


def validate_topic(topic: str) -> str:
    """Return ``topic`` if it is a valid concrete topic, else raise ``InvalidTopicError``."""
    if topic in _valid_topics:
        return topic
    if not isinstance(topic, str):
        raise InvalidTopicError(f"a topic is a str, got {type(topic).__name__}: {topic!r}")
    if not topic:
        raise InvalidTopicError("invalid topic '': a topic needs at least one segment")
    for index, segment in enumerate(topic.split(".")):
        if "|" in segment:
            raise _complain("topic", topic, index, "has '|': alternatives belong in patterns")
        _check_literal("topic", topic, index, segment)
    if len(_valid_topics) < 100_000:
        _valid_topics.add(topic)
    return topic


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern; ``matches(topic)`` is the hot path (a string compare when literal)."""

    source: str
    segments: tuple[tuple[str, ...], ...]
    """Per segment: ``("*",)``, ``("**",)``, or the literal alternatives."""
    matches: Callable[[str], bool] = field(compare=False, repr=False)

    @property
    def is_literal(self) -> bool:
        """Whether the pattern matches exactly one topic."""
        return all(len(s) == 1 and s[0] not in ("*", "**") for s in self.segments)

    def __call__(self, topic: str) -> bool:
        return self.matches(topic)


def _parse(pattern: str) -> tuple[tuple[str, ...], ...]:
    if not isinstance(pattern, str):
        raise InvalidTopicError(f"a pattern is a str, got {type(pattern).__name__}: {pattern!r}")
    if not pattern:
        raise InvalidTopicError("invalid pattern '': a pattern needs at least one segment")
    out: list[tuple[str, ...]] = []
    for index, segment in enumerate(pattern.split(".")):
        if segment in ("*", "**"):
            out.append((segment,))
            continue
        alternatives = segment.split("|")
        for alt in alternatives:
            if not alt and len(alternatives) > 1:
                raise _complain("pattern", pattern, index, "has an empty alternative around '|'")
            if alt in ("*", "**") and len(alternatives) > 1:
                raise _complain("pattern", pattern, index, "mixes a wildcard into alternatives")
            _check_literal("pattern", pattern, index, alt)
        out.append(tuple(dict.fromkeys(alternatives)))
    return tuple(out)


def _build(source: str, segments: tuple[tuple[str, ...], ...]) -> Callable[[str], bool]:
    plain = [s for s in segments]
    if all(len(s) == 1 and s[0] not in ("*", "**") for s in plain):
        return ".".join(s[0] for s in plain).__eq__
    if plain == [("**",)]:
        return lambda topic: True
    head = plain[:-1]
    if plain[-1] == ("**",) and all(len(s) == 1 and s[0] not in ("*", "**") for s in head):
        prefix = ".".join(s[0] for s in head)
        dotted = prefix + "."
        return lambda topic: topic == prefix or topic.startswith(dotted)
    fast = _string_matcher(plain)
    if fast is not None:
        return fast
    # general case: match "." + topic, each segment being "\.seg"; "**" is "(\.seg)*"
    parts: list[str] = []
    for seg in plain:
        if seg == ("**",):
            parts.append(rf"(?:\.{_SEGMENT_RE})*")
        elif seg == ("*",):
            parts.append(rf"\.{_SEGMENT_RE}")
        elif len(seg) == 1:
            parts.append(r"\." + re.escape(seg[0]))
        else:
            parts.append(r"\.(?:" + "|".join(re.escape(a) for a in seg) + ")")
    fullmatch = re.compile("".join(parts)).fullmatch
    seen: dict[str, bool] = {}

    def match(topic: str) -> bool:
        hit = seen.get(topic)
        if hit is None:
            hit = fullmatch("." + topic) is not None
            if len(seen) >= _RESULT_CACHE:
                seen.clear()
            seen[topic] = hit
        return hit

    return match


def _string_matcher(plain: list[tuple[str, ...]]) -> Callable[[str], bool] | None:
    """Literals around ``*`` only, or ``**`` then literals: plain string tests, no regex."""
    if any(len(seg) > 1 for seg in plain):
        return None
    words = [seg[0] for seg in plain]
    if words[0] == "**" and "**" not in words[1:] and "*" not in words[1:]:
        tail = ".".join(words[1:])
        dotted_tail = "." + tail
        return lambda topic: topic == tail or topic.endswith(dotted_tail)
    if "**" in words:
        return None
    n = len(words)
    lead = 0
    while lead < n and words[lead] != "*":
        lead += 1
    trail = 0
    while trail < n - lead and words[n - 1 - trail] != "*":
        trail += 1
    if any(w != "*" for w in words[lead : n - trail]):
        return None  # a literal between wildcards
    prefix = ".".join(words[:lead]) + "." if lead else ""
    suffix = "." + ".".join(words[n - trail :]) if trail else ""
    dots = n - 1

    def match(topic: str) -> bool:
        return (
            topic.count(".") == dots
            and topic.startswith(prefix)
            and topic.endswith(suffix)
            and ".." not in topic
            and topic[:1] not in ("", ".")
            and topic[-1:] != "."
        )

    return match


@lru_cache(maxsize=8192)
def compile_pattern(pattern: str) -> Pattern:
    """Validate and compile ``pattern`` (cached: the same string compiles once)."""
    segments = _parse(pattern)
    return Pattern(pattern, segments, _build(pattern, segments))


def matches(pattern: str, topic: str) -> bool:
    """Whether ``topic`` matches ``pattern`` (the pattern is compiled once and cached)."""
    return compile_pattern(pattern).matches(topic)
