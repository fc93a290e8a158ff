"""OpenTelemetry spans and metrics through ``opentelemetry-api`` only (the SDK is the app's).

``instrument()`` makes every ``@log_result_operation`` call a span (status ERROR and
``error.type`` on a Failure, ``rfs.correlation_id`` attribute) and records its duration on the
histogram ``rfs.operation.duration`` *inside* the span, so an SDK with exemplars enabled links
the latency bucket to the trace. Subsystem reports (pipeline, saga, cache...) go to the same
histogram. ``uninstrument()`` removes both.
"""

from __future__ import annotations

from time import perf_counter
from types import TracebackType
from typing import Any

from rfs._require import require
from rfs.monitoring import hook
from rfs.monitoring.context import current_correlation_id
from rfs.monitoring.entries import error_code_of

require("otel", "opentelemetry.trace", "rfs.monitoring.otel")
from opentelemetry import metrics, trace  # noqa: E402
from opentelemetry.trace import Status, StatusCode  # noqa: E402

_SCOPE = "rfs.monitoring"


class _Handle:
    __slots__ = ("_start", "duration", "failures", "name", "span")

    def __init__(self, name: str, span: Any, duration: Any, failures: Any) -> None:
        self.name = name
        self.span = span
        self.duration = duration
        self.failures = failures
        self._start = perf_counter()

    def finish(self, ok: bool, error: object | None) -> None:
        attrs: dict[str, str] = {"rfs.operation": self.name, "rfs.subsystem": "app"}
        if not ok:
            attrs["error.type"] = type(error).__name__
            self.span.set_status(Status(StatusCode.ERROR, str(error)[:200]))
            self.span.set_attribute("error.type", attrs["error.type"])
            code = error_code_of(error)
            if code is not None:
                self.span.set_attribute("rfs.error_code", code)
            self.failures.add(1, attrs)
        self.duration.record((perf_counter() - self._start) * 1000.0, attrs)


class _Scope:
    __slots__ = ("_cm", "_handle", "_name", "_otel")

    def __init__(self, otel: OTelInstrumentation, name: str) -> None:
        self._otel = otel
        self._name = name

    def __enter__(self) -> _Handle:
        self._cm = self._otel.tracer.start_as_current_span(self._name)
        span = self._cm.__enter__()
        cid = current_correlation_id()
        if cid is not None:
            span.set_attribute("rfs.correlation_id", cid)
        self._handle = _Handle(self._name, span, self._otel.duration, self._otel.failures)
        return self._handle

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cm.__exit__(exc_type, exc, tb)


class OTelInstrumentation:
    """The tracer and instruments used for rfs operations; also a ``hook.Monitor`` sink."""

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        self.tracer = trace.get_tracer(_SCOPE, tracer_provider=tracer_provider)
        meter = (meter_provider or metrics.get_meter_provider()).get_meter(_SCOPE)
        self.duration = meter.create_histogram(
            "rfs.operation.duration", unit="ms", description="Duration of Result operations"
        )
        self.failures = meter.create_counter(
            "rfs.operation.failures", description="Failure results of operations"
        )

    def __call__(self, name: str) -> _Scope:
        return _Scope(self, name)

    def observe(
        self,
        operation: str,
        ok: bool,
        duration_ms: float,
        error: object | None = None,
        subsystem: str = "app",
    ) -> None:
        """Record a subsystem's report (decorated operations are recorded by their span)."""
        if subsystem == "app":
            return
        attrs = {"rfs.operation": operation, "rfs.subsystem": subsystem}
        if not ok:
            attrs["error.type"] = type(error).__name__
            self.failures.add(1, attrs)
        self.duration.record(duration_ms, attrs)


_current: OTelInstrumentation | None = None


def instrument(tracer_provider: Any = None, meter_provider: Any = None) -> OTelInstrumentation:
    """Turn on spans and OTel metrics for rfs operations (global providers by default)."""
    global _current
    uninstrument()
    _current = OTelInstrumentation(tracer_provider, meter_provider)
    hook.install_spans(_current)
    hook.add_sink(_current)
    return _current


def uninstrument() -> None:
    """Remove what ``instrument()`` installed."""
    global _current
    hook.install_spans(None)
    if _current is not None:
        hook.remove_sink(_current)
    _current = None
