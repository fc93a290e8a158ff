"""Topics and patterns: validation with a pointer at the bad segment, compiled once and cached.

A topic is dot-separated segments of ``[A-Za-z0-9_:-]``. A pattern may also use ``*`` (exactly
one segment), ``**`` (zero or more segments) and ``a|b`` (either literal, in one segment).
Both are capped at :data:`MAX_TOPIC_LENGTH` characters and :data:`MAX_SEGMENTS` segments, and
every pattern matches in time linear in the topic: the wildcard cases run a bit-parallel
automaton over the segments (no backtracking regex), so a hostile topic cannot stall a consumer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

from rfs.events.errors import InvalidTopicError

__all__ = [
    "MAX_SEGMENTS",
    "MAX_TOPIC_LENGTH",
    "Pattern",
    "compile_pattern",
    "matches",
    "validate_topic",
]

MAX_TOPIC_LENGTH = 1024
"""Longest topic or pattern, in characters (RabbitMQ itself stops routing keys at 255 bytes)."""
MAX_SEGMENTS = 128
"""Most dot-separated segments in a topic or pattern."""

_SEGMENT = re.compile(r"[A-Za-z0-9_:\-]+")
_RESULT_CACHE = 4096  # per wildcard pattern: topics recur, so their answers are kept
_MAX_COMBINATIONS = 4096  # alternatives expanded into a set up to this many combinations
_MAX_PREFIXES = 64  # ... or into a tuple for startswith/endswith up to this many

Segments = tuple[tuple[str, ...], ...]


def _complain(kind: str, text: str, index: int, why: str) -> InvalidTopicError:
    segments = text.split(".")
    offset = sum(len(s) + 1 for s in segments[:index])
    width = max(1, len(segments[index]) if index < len(segments) else 1)
    caret = " " * (offset + 4) + "^" * width
    return InvalidTopicError(
        f"invalid {kind} {text!r}: segment {index + 1} ({segments[index]!r}) {why}\n"
        f"    {text}\n{caret}"
    )


def _check_size(kind: str, text: object) -> str:
    """``text`` if it is a non-empty str within the caps; the message never echoes a huge input."""
    if not isinstance(text, str):
        raise InvalidTopicError(f"a {kind} is a str, got {type(text).__name__}")
    if not text:
        raise InvalidTopicError(f"invalid {kind} '': a {kind} needs at least one segment")
    if len(text) > MAX_TOPIC_LENGTH:
        raise InvalidTopicError(
            f"invalid {kind} {text[:40]!r}...: {len(text)} characters, "
            f"the limit is {MAX_TOPIC_LENGTH} (MAX_TOPIC_LENGTH)"
        )
    if text.count(".") >= MAX_SEGMENTS:
        raise InvalidTopicError(
            f"invalid {kind} {text[:40]!r}...: {text.count('.') + 1} segments, "
            f"the limit is {MAX_SEGMENTS} (MAX_SEGMENTS)"
        )
    return text


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
    if topic.__class__ is str and topic in _valid_topics:
        return topic
    _check_size("topic", topic)
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
    segments: Segments
    """Per segment: ``("*",)``, ``("**",)``, or the literal alternatives."""
    matches: Callable[[str], bool] = field(compare=False, repr=False)

    def __call__(self, topic: str) -> bool:
        return self.matches(topic)


def _parse(pattern: str) -> Segments:
    _check_size("pattern", pattern)
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


def _is_word(seg: tuple[str, ...]) -> bool:
    return len(seg) == 1 and seg[0] not in ("*", "**")


def _is_literal(seg: tuple[str, ...]) -> bool:
    return seg[0] not in ("*", "**")


def _build(segments: Segments) -> Callable[[str], bool]:
    # "**.**" matches what "**" matches: collapse runs so the automaton needs one closure step
    plain = [s for i, s in enumerate(segments) if s != ("**",) or segments[i - 1 : i] != (s,)]
    if all(_is_word(s) for s in plain):
        return ".".join(s[0] for s in plain).__eq__
    if plain == [("**",)]:
        return lambda topic: True
    head = plain[:-1]
    if plain[-1] == ("**",) and all(_is_word(s) for s in head):
        prefix = ".".join(s[0] for s in head)
        dotted = prefix + "."
        return lambda topic: topic == prefix or topic.startswith(dotted)
    fast = _string_matcher(plain)
    if fast is not None:
        # with alternatives the string tests cost more than a dict lookup of a recurring topic
        return _memoised(fast) if any(len(seg) > 1 for seg in plain) else fast
    if ("**",) not in plain:
        return _memoised(_fixed_matcher(plain))
    return _memoised(_automaton(plain))


def _memoised(match: Callable[[str], bool]) -> Callable[[str], bool]:
    """``match`` with its recent answers kept (topics recur; the cache is bounded)."""
    seen: dict[str, bool] = {}

    def cached(topic: str) -> bool:
        hit = seen.get(topic)
        if hit is None:
            hit = match(topic)
            if len(seen) >= _RESULT_CACHE:
                seen.clear()
            seen[topic] = hit
        return hit

    return cached


def _fixed_matcher(plain: list[tuple[str, ...]]) -> Callable[[str], bool]:
    """No ``**``: the topic has exactly as many segments, and its non-``*`` ones (picked out by
    one ``itemgetter``) form one of the allowed combinations."""
    count = len(plain)
    picked = [i for i, seg in enumerate(plain) if seg != ("*",)]
    combos = 1
    for index in picked:
        combos *= len(plain[index])
    if not picked or combos > _MAX_COMBINATIONS:
        return _automaton(plain)
    pick = itemgetter(*picked)
    choices = [plain[i] for i in picked]
    allowed = frozenset(choices[0] if len(picked) == 1 else itertools.product(*choices))

    def match(topic: str) -> bool:
        parts = topic.split(".")
        return len(parts) == count and pick(parts) in allowed and "" not in parts

    return match


def _automaton(plain: list[tuple[str, ...]]) -> Callable[[str], bool]:
    """Any pattern as a bit-parallel NFA: bit ``i`` set means "the first ``i`` pattern segments
    are matched". One step per topic segment, so the time is linear in the topic."""
    stars = loops = 0
    words: dict[str, int] = {}
    for index, seg in enumerate(plain):
        bit = 1 << index
        if seg == ("**",):
            loops |= bit
        elif seg == ("*",):
            stars |= bit
        else:
            for word in seg:
                words[word] = words.get(word, 0) | bit
    final = 1 << len(plain)
    start = 1 | ((1 & loops) << 1)  # runs of "**" are collapsed: one closure step suffices

    def match(topic: str) -> bool:
        state = start
        lookup = words.get
        for part in topic.split("."):
            if not part:
                return False
            state = ((state & (stars | lookup(part, 0))) << 1) | (state & loops)
            state |= (state & loops) << 1
            if not state:
                return False
        return bool(state & final)

    return match


def _joined(segments: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """Every concrete text the literal ``segments`` spell, or ``None`` when there are too many."""
    combos = 1
    for seg in segments:
        combos *= len(seg)
    if combos > _MAX_PREFIXES:
        return None
    return tuple(".".join(combo) for combo in itertools.product(*segments))


def _string_matcher(plain: list[tuple[str, ...]]) -> Callable[[str], bool] | None:
    """Literals (or alternatives) around ``*`` only, or ``**`` then literals: string tests in C
    (``startswith``/``endswith`` with a tuple, a set lookup), no split and no regex."""
    if plain[0] == ("**",) and all(_is_literal(seg) for seg in plain[1:]):
        tails = _joined(plain[1:])
        if tails is None:
            return None
        exact = frozenset(tails)
        dotted_tails = tuple("." + tail for tail in tails)
        return lambda topic: topic in exact or topic.endswith(dotted_tails)
    if ("**",) in plain:
        return None
    n = len(plain)
    lead = 0
    while lead < n and plain[lead] != ("*",):
        lead += 1
    if lead == n:  # alternatives only: the topic is one of the combinations
        every = _joined(plain)
        return None if every is None else frozenset(every).__contains__
    trail = 0
    while plain[n - 1 - trail] != ("*",):
        trail += 1
    if any(seg != ("*",) for seg in plain[lead : n - trail]):
        return None  # a literal between wildcards
    heads, tails = _joined(plain[:lead]), _joined(plain[n - trail :])
    if heads is None or tails is None:
        return None
    prefixes = tuple(head + "." for head in heads)
    suffixes = tuple("." + tail for tail in tails)
    dots = n - 1
    # the dot count fixes the segments, the prefix and suffix the literal ones; what is left
    # is that no "*" segment is empty, and a literal end already rules out an empty end
    gaps = n - lead - trail > 1 or bool(lead and trail)

    def match(topic: str) -> bool:
        return (
            topic.count(".") == dots
            and (not lead or topic.startswith(prefixes))
            and (not trail or topic.endswith(suffixes))
            and not (gaps and ".." in topic)
            and not (not lead and topic[:1] in ("", "."))
            and not (not trail and topic.endswith("."))
        )

    return match


@lru_cache(maxsize=8192)
def _compile(pattern: str) -> Pattern:
    segments = _parse(pattern)
    return Pattern(pattern, segments, _build(segments))


def compile_pattern(pattern: str) -> Pattern:
    """Validate and compile ``pattern`` (cached: the same string compiles once)."""
    try:
        return _compile(pattern)
    except TypeError:  # unhashable: not a str at all
        raise InvalidTopicError(f"a pattern is a str, got {type(pattern).__name__}") from None


def matches(pattern: str, topic: str) -> bool:
    """Whether ``topic`` matches ``pattern`` (the pattern is compiled once and cached)."""
    return compile_pattern(pattern).matches(topic)
