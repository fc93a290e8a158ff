"""``ResultLogEntry``: one structured log entry about a Result (seed 004's schema)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass
class ResultLogEntry:
    """A Result-based log entry (field names and defaults as seed 004 specifies them)."""

    timestamp: datetime
    correlation_id: str
    operation_name: str
    step_name: str | None

    result_type: Literal["success", "error"]
    processing_time_ms: float

    success_type: str | None = None

    error_type: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    user_id: str | None = None
    request_id: str | None = None
    service_name: str = "rfs-framework"
    environment: str = "production"

    memory_usage_mb: float | None = None
    cpu_usage_percent: float | None = None

    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready fields (timestamp in ISO 8601; None fields left out)."""
        out = {k: v for k, v in asdict(self).items() if v is not None and v != {}}
        out["timestamp"] = self.timestamp.isoformat()
        return out


def error_code_of(error: object) -> str | None:
    """The ``code`` (or ``error_code``/``kind``) of an error object, as text, when it has one."""
    for attr in ("code", "error_code", "kind"):
        value = getattr(error, attr, None)
        if value is not None and not callable(value):
            inner = getattr(value, "value", value)  # enums render their value
            return str(inner)
    return None
