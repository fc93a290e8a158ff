"""Turning the saga log's rows back into records: any garbage becomes ``UnreadableRecord``.

A log row is input like any other (another process, a person with ``sqlite3``, a disk
error may have written it): every field is checked for its type, and whatever fails
(bad JSON, deep nesting, a bad signature, a wrong type) is raised as the saga
subsystem's own error, never as the decoder's exception.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from rfs.saga.errors import UnreadableRecord
from rfs.saga.records import EventKind, ExecutionRecord, LogEvent, SagaStatus
from rfs.saga.serializers import Serializer

_STATUSES = {s.value: s for s in SagaStatus}
_KINDS = {k.value: k for k in EventKind}


class _Bad(Exception):
    """One field is not what the log writes."""


def _text(value: object, field: str, *, optional: bool = False) -> Any:
    if isinstance(value, str) or (optional and value is None):
        return value
    raise _Bad(f"{field} is {type(value).__name__}, not text")


def _number(value: object, field: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if not math.isnan(number):
            return number
    raise _Bad(f"{field} is not a number")


def _count(value: object, field: str, *, optional: bool = False) -> Any:
    if optional and value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise _Bad(f"{field} is not a count")


def _choice(value: object, field: str, choices: Mapping[Any, Any]) -> Any:
    found = choices.get(value) if isinstance(value, str) else None
    if found is None:
        raise _Bad(f"{field} {str(value)[:40]!r} is unknown")
    return found


def _execution_id(row: Mapping[Any, Any]) -> str:
    return str(row.get("id"))[:200]


def decode_record(row: Mapping[Any, Any], serializer: Serializer) -> ExecutionRecord:
    """An execution row (without events) as a record; raises ``UnreadableRecord``."""
    execution_id = _execution_id(row)
    try:
        data = row.get("context")
        if data is not None and not isinstance(data, bytes | bytearray | memoryview):
            raise _Bad("context is not bytes")
        context = None if data is None else serializer.loads(bytes(data))
        return ExecutionRecord(
            _text(row.get("id"), "id"),
            _text(row.get("saga_name"), "saga_name"),
            _choice(row.get("status"), "status", _STATUSES),
            context,
            _text(row.get("owner"), "owner"),
            _number(row.get("lease_until"), "lease_until"),
            _number(row.get("created_at"), "created_at"),
            _number(row.get("updated_at"), "updated_at"),
            _text(row.get("error"), "error", optional=True),
        )
    except UnreadableRecord as exc:  # the serializer's own (a bad signature)
        raise type(exc).of(execution_id, str(exc)) from exc
    except Exception as exc:  # any decoder failure, RecursionError included
        raise UnreadableRecord.of(execution_id, _why(exc)) from exc


def decode_events(execution_id: str, rows: Iterable[Mapping[Any, Any]]) -> list[LogEvent]:
    """An execution's event rows as log events; raises ``UnreadableRecord``."""
    try:
        return [
            LogEvent(
                _choice(r.get("kind"), "kind", _KINDS),
                _text(r.get("step"), "step", optional=True),
                _count(r.get("step_index"), "step_index", optional=True),
                _count(r.get("attempt"), "attempt"),
                _text(r.get("detail"), "detail", optional=True),
                _number(r.get("at"), "at"),
            )
            for r in rows
        ]
    except Exception as exc:
        raise UnreadableRecord.of(execution_id, _why(exc)) from exc


def salvage(row: Mapping[Any, Any], problem: UnreadableRecord) -> ExecutionRecord:
    """What a listing shows of an unreadable row: its id, the reason, what could be read."""

    def text(field: str) -> str:
        value = row.get(field)
        return value if isinstance(value, str) else ""

    value = row.get("status")
    status = _STATUSES.get(value) if isinstance(value, str) else None
    return ExecutionRecord(
        _execution_id(row),
        text("saga_name"),
        SagaStatus.FAILED if status is None else status,
        None,
        text("owner"),
        0.0,
        0.0,
        0.0,
        str(problem),
        unreadable=str(problem),
    )


def _why(exc: BaseException) -> str:
    if isinstance(exc, _Bad):
        return str(exc)
    text = str(exc)[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
