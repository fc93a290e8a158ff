"""Errors of the event system: exceptions for programmer errors, values inside ``Failure``."""

from __future__ import annotations

__all__ = [
    "BrokerClosedError",
    "BufferFullError",
    "DecodeError",
    "EventError",
    "HandlerError",
    "InvalidTopicError",
    "PublishError",
]


class EventError(Exception):
    """Base of every event-system error."""


class InvalidTopicError(EventError, ValueError):
    """A topic or pattern is malformed (raised: it is a bug in the caller's code)."""


class DecodeError(EventError):
    """Bytes on a stream could not be decoded into an event (a ``Failure`` value, or raised by
    ``MultiprocessQueue.get``). ``raw`` holds the undecodable bytes when they are known."""

    def __init__(self, message: str, raw: bytes | None = None) -> None:
        super().__init__(message)
        self.raw = raw


class PublishError(EventError):
    """An event could not be published (a ``Failure`` value)."""


class BufferFullError(PublishError):
    """A subscription's buffer is full and its policy is ``fail``."""


class BrokerClosedError(PublishError):
    """The broker was closed before or while publishing."""


class HandlerError(EventError):
    """A handler returned ``Failure``; the failure's error is in ``error``."""

    def __init__(self, error: object) -> None:
        super().__init__(str(error))
        self.error = error
