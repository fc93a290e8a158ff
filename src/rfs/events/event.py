"""``Event``: the message every backend carries; its JSON round trip restores the subclass."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from rfs.events.errors import DecodeError
from rfs.result import Failure, Result, Success

__all__ = ["Event", "EventBase", "event_type_name", "registered_event_types"]

_STANDARD = ("topic", "data", "id", "timestamp", "headers", "correlation_id")
_REGISTRY: dict[str, type[Event]] = {}
_now = time.time


class Event:
    """An event: ``topic``, ``data``, ``id``, ``timestamp``, ``headers``, ``correlation_id``.

    Subclass it freely, with or without your own ``__init__`` (call ``super().__init__``).
    Every subclass is registered under ``module.QualName`` (or ``type_name=`` given in the
    class statement) so :meth:`from_json` restores it; an unknown name decodes as ``Event``.
    ``data`` should be JSON-serialisable for the durable backends. The ``id`` (a uuid4 hex)
    is made on first use, so events that never leave the process never pay for one.
    """

    __slots__ = ("__dict__", "_id", "correlation_id", "data", "headers", "timestamp", "topic")

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
        if self.__dict__:
            out["attrs"] = dict(self.__dict__)
        return out

    def to_json(self) -> str:
        """JSON text; raises ``TypeError`` when ``data`` is not JSON-serialisable."""
        return json.dumps(self.to_dict(), separators=(",", ":"), default=_default)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Result[Event, DecodeError]:
        """Rebuild an event (of its registered subclass) from :meth:`to_dict` output."""
        try:
            kind = _REGISTRY.get(str(raw.get("type", "")), Event)
            event = object.__new__(kind)
            attrs = raw.get("attrs")
            if attrs:
                event.__dict__.update(attrs)
            topic = raw["topic"]
            if not isinstance(topic, str):
                return Failure(DecodeError(f"event topic must be a string, got {topic!r}"))
            event.topic = topic
            event.data = raw.get("data")
            event._id = str(raw["id"]) if raw.get("id") is not None else None
            event.timestamp = float(raw.get("timestamp") or time.time())
            event.headers = {str(k): str(v) for k, v in (raw.get("headers") or {}).items()}
            cid = raw.get("correlation_id")
            event.correlation_id = None if cid is None else str(cid)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return Failure(DecodeError(f"not an event: {type(exc).__name__}: {exc}"))
        return Success(event)

    @classmethod
    def from_json(cls, raw: str | bytes | bytearray) -> Result[Event, DecodeError]:
        """Decode :meth:`to_json` output; garbage gives ``Failure(DecodeError)``, never raises."""
        try:
            parsed = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            return Failure(DecodeError(f"invalid JSON: {exc}"))
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
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state.pop("__dict__", {}))
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
