"""``Event``: the message every backend carries; its JSON round trip restores the subclass."""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from rfs.events.errors import DecodeError, InvalidTopicError
from rfs.events.topics import validate_topic
from rfs.result import Failure, Result, Success

__all__ = [
    "MAX_DEPTH",
    "MAX_EVENT_SIZE",
    "Event",
    "EventBase",
    "event_type_name",
    "registered_event_types",
]

MAX_EVENT_SIZE = 16 * 1024 * 1024
"""Largest JSON text :meth:`Event.from_json` decodes by default (bytes, or characters of a str)."""
MAX_DEPTH = 128
"""Deepest nesting of arrays and objects a decoded event may have (the envelope included)."""

_STANDARD = ("topic", "data", "id", "timestamp", "headers", "correlation_id")
_REGISTRY: dict[str, type[Event]] = {}
_now = time.time
_MIN_TIMESTAMP, _MAX_TIMESTAMP = -62135596800.0, 253402300799.0  # years 1 to 9999


class Event:
    """An event: ``topic``, ``data``, ``id``, ``timestamp``, ``headers``, ``correlation_id``.

    Subclass it freely, with or without your own ``__init__`` (call ``super().__init__``).
    Every subclass is registered under ``module.QualName`` (or ``type_name=`` given in the
    class statement) so :meth:`from_json` restores it; an unknown name decodes as ``Event``.
    ``data`` should be JSON-serialisable for the durable backends. The ``id`` (a uuid4 hex)
    is made on first use, so events that never leave the process never pay for one.
    """

    __slots__ = (
        "__dict__",
        "_extra",
        "_id",
        "correlation_id",
        "data",
        "headers",
        "timestamp",
        "topic",
    )

    type_name: ClassVar[str] = "rfs.events.event.Event"

    topic: str
    data: Any
    timestamp: float
    headers: dict[str, str]
    correlation_id: str | None

    def __init__(
        self,
        topic: str = "",
        data: Any = None,
        *,
        id: str | None = None,
        timestamp: float | datetime | None = None,
        headers: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self.topic = topic
        self.data = data
        self._id = id
        if timestamp is None:
            self.timestamp = _now()
        elif isinstance(timestamp, datetime):
            self.timestamp = timestamp.timestamp()
        else:
            self.timestamp = float(timestamp)
        self.headers = {} if headers is None else dict(headers)
        self.correlation_id = correlation_id

    def __init_subclass__(cls, *, type_name: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type_name = type_name or f"{cls.__module__}.{cls.__qualname__}"
        _REGISTRY[cls.type_name] = cls

    @property
    def id(self) -> str:
        """A unique id (uuid4 hex unless given)."""
        if self._id is None:
            self._id = uuid.uuid4().hex
        return self._id

    @id.setter
    def id(self, value: str) -> None:
        self._id = value

    @property
    def extra_attrs(self) -> dict[str, Any]:
        """Decoded attributes that could not become instance attributes (their names are the
        class's methods, properties or slots, or not identifiers); kept so nothing is lost."""
        try:
            return self._extra
        except AttributeError:
            self._extra: dict[str, Any] = {}
            return self._extra

    @property
    def occurred_at(self) -> datetime:
        """``timestamp`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp, UTC)

    def with_topic(self, topic: str) -> Event:
        """A shallow copy of this event on another topic (same class, id and extra attributes)."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.topic = topic
        clone.data = self.data
        clone._id = self.id
        clone.timestamp = self.timestamp
        clone.headers = dict(self.headers)
        clone.correlation_id = self.correlation_id
        extra = getattr(self, "_extra", None)
        if extra:
            clone._extra = dict(extra)
        return clone

    # --- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; instance attributes set by subclasses go under ``attrs``."""
        out: dict[str, Any] = {
            "type": self.type_name,
            "topic": self.topic,
            "data": self.data,
            "id": self.id,
            "timestamp": self.timestamp,
            "headers": self.headers,
            "correlation_id": self.correlation_id,
        }
        extra = getattr(self, "_extra", None)
        if extra:
            out["attrs"] = {**extra, **self.__dict__}
        elif self.__dict__:
            out["attrs"] = dict(self.__dict__)
        return out

    def to_json(self) -> str:
        """JSON text; raises ``TypeError`` when ``data`` is not JSON-serialisable (``ValueError``
        for a cycle)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), default=_default)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Result[Event, DecodeError]:
        """Rebuild an event (of its registered subclass) from :meth:`to_dict` output.

        Any input gives ``Success`` or ``Failure(DecodeError)``, never an exception: wrong
        types, an invalid topic, a non-finite timestamp are refused with the reason. An
        ``attrs`` entry becomes an instance attribute unless its name is one of the class's
        methods, properties or slots; those go to :attr:`extra_attrs` instead.
        """
        try:
            return Success(_decode(raw))
        except _Refused as exc:
            return Failure(DecodeError(str(exc)))
        except Exception as exc:  # anything else the input could provoke: still a refusal
            return Failure(DecodeError(f"not an event: {type(exc).__name__}: {_clip(exc)}"))

    @classmethod
    def from_json(
        cls, raw: str | bytes | bytearray, *, max_size: int = MAX_EVENT_SIZE
    ) -> Result[Event, DecodeError]:
        """Decode :meth:`to_json` output; any input that is not a valid event (garbage, deep
        nesting, over ``max_size``, wrong types) gives ``Failure(DecodeError)``, never raises."""
        try:
            if raw.__class__ is not str and not isinstance(raw, str | bytes | bytearray):
                if not isinstance(raw, memoryview):
                    return Failure(DecodeError(f"expected JSON text, got {type(raw).__name__}"))
                raw = bytes(raw)
            if len(raw) > max_size:
                return Failure(DecodeError(f"event of {len(raw):,} bytes is over {max_size:,}"))
            parsed = json.loads(raw)
            if _brackets(raw) > MAX_DEPTH and _too_deep(parsed):
                return Failure(DecodeError(f"event nested deeper than {MAX_DEPTH} levels"))
        except RecursionError:
            return Failure(DecodeError(f"invalid JSON: nested deeper than {MAX_DEPTH} levels"))
        except Exception as exc:
            return Failure(DecodeError(f"invalid JSON: {_clip(exc)}"))
        if not isinstance(parsed, dict):
            return Failure(DecodeError(f"expected a JSON object, got {type(parsed).__name__}"))
        return cls.from_dict(parsed)

    # --- value semantics -----------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Event) or type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(topic={self.topic!r}, data={self.data!r}, id={self.id!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = {name: getattr(self, name) for name in _STANDARD}
        state["__dict__"] = dict(self.__dict__)
        extra = getattr(self, "_extra", None)
        if extra:
            state["_extra"] = dict(extra)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state.pop("__dict__", {}))
        extra = state.pop("_extra", None)
        if extra:
            self._extra = extra
        self._id = state.pop("id")
        for name, value in state.items():
            setattr(self, name, value)


EventBase = Event
"""The seed's name for :class:`Event`."""

_REGISTRY[Event.type_name] = Event


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"event data of type {type(value).__name__} is not JSON-serialisable")


def event_type_name(cls: type[Event]) -> str:
    """The name a class is registered under for decoding."""
    return cls.type_name


def registered_event_types() -> dict[str, type[Event]]:
    """A copy of the registry of event classes, by type name."""
    return dict(_REGISTRY)


# --- decoding ----------------------------------------------------------------------------
class _Refused(Exception):
    """Why a decoded mapping is not an event (turned into ``DecodeError``)."""


def _clip(value: object, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _brackets(raw: str | bytes | bytearray) -> int:
    """An upper bound of the nesting depth, counted in C (exact depth is walked only above it)."""
    if isinstance(raw, str):
        return raw.count("[") + raw.count("{")
    return raw.count(b"[") + raw.count(b"{")


def _too_deep(value: object) -> bool:
    """Whether ``value`` nests deeper than ``MAX_DEPTH`` (iterative: no recursion limit)."""
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = []
    if isinstance(value, dict | list):
        stack.append((value, 1))
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _text(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Refused(f"event {name!r} must be a string, got {type(value).__name__}")


def _timestamp(value: object) -> float:
    # the common case first; NaN and the infinities fail the range test
    if value.__class__ is float and _MIN_TIMESTAMP <= value <= _MAX_TIMESTAMP:
        return value
    if value is None:
        return _now()
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused(f"event 'timestamp' must be a number, got {type(value).__name__}")
    stamp = float(value)
    if not math.isfinite(stamp) or not _MIN_TIMESTAMP <= stamp <= _MAX_TIMESTAMP:
        raise _Refused(f"event 'timestamp' {_clip(value, 40)} is outside years 1 to 9999")
    return stamp


def _headers(value: object) -> dict[str, str]:
    # the common case first: a JSON object of strings
    if value.__class__ is dict and all(v.__class__ is str for v in value.values()):
        return dict(value)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Refused(f"event 'headers' must be an object, got {type(value).__name__}")
    out: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool):
            raise _Refused(f"event header {_clip(key, 40)!r} must be a string")
        out[str(key)] = item if isinstance(item, str) else str(item)
    return out


_SETTABLE: dict[tuple[type[Event], str], bool] = {}


def _settable(kind: type[Event], name: str) -> bool:
    """Whether a decoded attribute ``name`` may go on an instance of ``kind``: an identifier that
    is no dunder and not a method, property, slot or other descriptor of the class."""
    known = _SETTABLE.get((kind, name))
    if known is not None:
        return known
    verdict = name.isidentifier() and name != "type_name" and not name.startswith("__")
    for klass in kind.__mro__ if verdict else ():
        if name in klass.__dict__:
            value = klass.__dict__[name]
            verdict = not (callable(value) or hasattr(type(value), "__get__"))
            break
    if len(_SETTABLE) >= 4096:
        _SETTABLE.clear()
    _SETTABLE[(kind, name)] = verdict
    return verdict


def _decode(raw: Mapping[str, Any]) -> Event:
    if raw.__class__ is not dict and not isinstance(raw, Mapping):
        raise _Refused(f"expected an object, got {type(raw).__name__}")
    kind = _REGISTRY.get(_text(raw, "type") or "", Event)
    topic = raw.get("topic")
    if not isinstance(topic, str):
        raise _Refused(f"event 'topic' must be a string, got {type(topic).__name__}")
    try:
        validate_topic(topic)
    except InvalidTopicError as exc:
        raise _Refused(f"event topic: {_clip(str(exc).splitlines()[0])}") from None
    event = object.__new__(kind)
    attrs = raw.get("attrs")
    if attrs:
        if not isinstance(attrs, Mapping):
            raise _Refused(f"event 'attrs' must be an object, got {type(attrs).__name__}")
        extra: dict[str, Any] = {}
        for name, value in attrs.items():
            if isinstance(name, str) and _settable(kind, name):
                event.__dict__[name] = value
            else:
                extra[str(name)] = value
        if extra:
            event._extra = extra
    event.topic = topic
    event.data = raw.get("data")
    event._id = _text(raw, "id")
    event.timestamp = _timestamp(raw.get("timestamp"))
    event.headers = _headers(raw.get("headers"))
    event.correlation_id = _text(raw, "correlation_id")
    return event
