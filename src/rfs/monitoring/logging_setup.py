"""``configure_logging``: the one place rfs touches handlers, and only when the application calls
it. JSON lines through structlog's ``ProcessorFormatter`` (a core dependency), else a stdlib
formatter; secrets masked before rendering. Also per-logger levels changed at run time."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import IO, Any

from rfs.monitoring.masking import MASK, get_masker

_STD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_MARK = "_rfs_handler"


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields of ``record``: rfs fields, then any other ``extra`` attributes."""
    out: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        if key in _STD_ATTRS or key == "rfs_fields" or key.startswith("_"):
            continue
        out[key] = value
    fields = getattr(record, "rfs_fields", None)
    if isinstance(fields, dict):
        out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def _safe_masked(fields: dict[str, Any]) -> dict[str, Any]:
    try:
        return get_masker().mask_fields(fields)
    except Exception:  # never render an unmasked value
        return {k: MASK for k in fields}


class JsonFormatter(logging.Formatter):
    """Stdlib formatter rendering one JSON object per record (masked fields)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        masker = get_masker()
        data: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": masker.mask_text(record.getMessage()),
        }
        data.update(_safe_masked(record_fields(record)))
        if record.exc_info:
            data["exception"] = masker.mask_text(self.formatException(record.exc_info))
        return json.dumps(data, default=str)


class TextFormatter(logging.Formatter):
    """Stdlib formatter: ``time level logger [correlation] message key=value...`` (masked)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one text line."""
        masker = get_masker()
        fields = _safe_masked(record_fields(record))
        cid = fields.pop("correlation_id", "-")
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        line = f"{when} {record.levelname} {record.name} [{cid}] "
        line += masker.mask_text(record.getMessage())
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + masker.mask_text(self.formatException(record.exc_info))
        return line


def _structlog_formatter() -> logging.Formatter | None:
    try:
        import structlog
    except ImportError:
        return None

    def merge_fields(
        _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        record = event_dict.get("_record")
        if isinstance(record, logging.LogRecord):
            event_dict.update(record_fields(record))
        return event_dict

    def mask(
        _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event = event_dict.get("event")
        masked = _safe_masked({k: v for k, v in event_dict.items() if k != "event"})
        if isinstance(event, str):
            masked["event"] = get_masker().mask_text(event)
        return masked

    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
            merge_fields,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            mask,
            structlog.processors.JSONRenderer(default=str),
        ],
    )


def configure_logging(
    json: bool = True,
    level: int | str = "INFO",
    *,
    logger: str | None = None,
    stream: IO[str] | None = None,
    use_structlog: bool = True,
) -> logging.Handler:
    """Send ``logger`` (the root logger by default) to ``stream`` as JSON lines or masked text.

    Call it from the application, once at start-up (calling again replaces the handler it added
    before). Returns the handler it installed.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    formatter = (_structlog_formatter() if use_structlog else None) if json else None
    if formatter is None:
        formatter = JsonFormatter() if json else TextFormatter()
    handler.setFormatter(formatter)
    attach_handler(handler, logger, level)
    return handler


def attach_handler(handler: logging.Handler, logger: str | None, level: int | str) -> None:
    """Make ``handler`` the rfs handler of ``logger`` at ``level``: what ``configure_logging``
    does with the handler it makes (replacing the one it added to that logger before)."""
    target = logging.getLogger(logger)
    for old in [h for h in target.handlers if getattr(h, _MARK, False)]:
        target.removeHandler(old)
    setattr(handler, _MARK, True)
    target.addHandler(handler)
    target.setLevel(_level(level))


def _level(level: int | str) -> int:
    if isinstance(level, int):
        return level
    value = logging.getLevelName(str(level).upper())
    if not isinstance(value, int):
        raise ValueError(
            f"unknown log level {level!r}; use DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    return value


def set_log_level(logger: str, level: int | str) -> None:
    """Change the level of ``logger`` now (e.g. from an admin endpoint); takes effect at once."""
    logging.getLogger(logger).setLevel(_level(level))


def get_log_level(logger: str) -> str:
    """The effective level of ``logger`` as a name."""
    return logging.getLevelName(logging.getLogger(logger).getEffectiveLevel())
