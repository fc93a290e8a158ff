"""The one slot every subsystem reports through: ``monitor`` is None while monitoring is off, so an
instrumented hot path pays one global lookup and a comparison. Standard library only.

A subsystem reports with::

    from rfs.monitoring import hook
    ...
    m = hook.monitor
    if m is not None:
        m.observe("pipeline.task", ok, duration_ms, error, subsystem="pipeline")

A hot path reporting one fixed operation keeps a ``Site`` and calls its recorder, resolved once
per installed hub (no operation name formatted or looked up per call)::

    _site = hook.Site("events.consume", "events")
    ...
    if (m := hook.monitor) is not None:
        (_site.record if _site.hub is m else _site.resolve(m))(ok, duration_ms, error)
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol

#: ``record(ok, duration_ms, error)``: one outcome of an operation fixed in advance.
Recorder = Callable[[bool, float, object], None]


class Monitor(Protocol):
    """What the hook calls: one observation per finished unit of work."""

    def observe(
        self,
        operation: str,
        ok: bool,
        duration_ms: float,
        error: object | None = None,
        subsystem: str = "app",
    ) -> None:
        """Record one outcome of ``operation`` (``error`` is the Failure's error, or None)."""
        ...


class MonitorHub:
    """Fans one observation out to several monitors (metrics collector, OTel, ...). With one
    sink, ``observe`` is that sink's own bound method (no fan-out call in between)."""

    __slots__ = ("observe", "sinks")

    def __init__(self, sinks: list[Monitor]) -> None:
        self.sinks: tuple[Monitor, ...] = tuple(sinks)
        self.observe: Callable[..., None] = (
            self.sinks[0].observe if len(self.sinks) == 1 else self._fan_out
        )

    def _fan_out(
        self,
        operation: str,
        ok: bool,
        duration_ms: float,
        error: object | None = None,
        subsystem: str = "app",
    ) -> None:
        for sink in self.sinks:
            sink.observe(operation, ok, duration_ms, error, subsystem)

    def recorder(self, operation: str, subsystem: str = "app") -> Recorder:
        """One callable recording outcomes of ``operation`` in every sink: a sink's own
        ``recorder(operation, subsystem)`` where it has one, else its ``observe``."""
        recorders = [_recorder_of(sink, operation, subsystem) for sink in self.sinks]
        if len(recorders) == 1:
            return recorders[0]

        def fan_out(ok: bool, duration_ms: float, error: object | None = None) -> None:
            for record in recorders:
                record(ok, duration_ms, error)

        return fan_out


def _recorder_of(sink: Monitor, operation: str, subsystem: str) -> Recorder:
    make: Callable[[str, str], Recorder] | None = getattr(sink, "recorder", None)
    if make is not None:
        return make(operation, subsystem)
    observe = sink.observe

    def record(ok: bool, duration_ms: float, error: object | None = None) -> None:
        observe(operation, ok, duration_ms, error, subsystem)

    return record


class Site:
    """A hot path's handle on one operation: ``record`` is valid while ``hub`` is the installed
    monitor; ``resolve(hub)`` refreshes both (see the module docstring)."""

    __slots__ = ("hub", "operation", "record", "subsystem")

    def __init__(self, operation: str, subsystem: str = "app") -> None:
        self.operation = operation
        self.subsystem = subsystem
        self.hub: MonitorHub | None = None
        self.record: Recorder = _unset

    def resolve(self, hub: MonitorHub) -> Recorder:
        """The recorder of this site's operation in ``hub`` (kept for the next call)."""
        self.record = hub.recorder(self.operation, self.subsystem)
        self.hub = hub
        return self.record


def _unset(ok: bool, duration_ms: float, error: object | None = None) -> None:
    raise AssertionError("Site.record called before Site.resolve")  # pragma: no cover


#: None while monitoring is off; ``rfs.monitoring.enable_monitoring()`` installs a MonitorHub.
monitor: MonitorHub | None = None


#: False while neither a monitor nor spans are installed (one check for decorated functions).
listening = False


def install(hub: MonitorHub | None) -> None:
    """Set (or, with None, clear) the monitor every subsystem reports to."""
    global monitor, listening
    monitor = hub
    listening = monitor is not None or spans is not None


def refresh() -> None:
    """Install a new hub over the same sinks, so every ``Site`` resolves its recorder again
    (a sink that forgot its operations calls this)."""
    if monitor is not None:
        install(MonitorHub(list(monitor.sinks)))


def add_sink(sink: Monitor) -> None:
    """Report to ``sink`` as well (idempotent); installs a hub when monitoring was off."""
    sinks = monitor.sinks if monitor is not None else ()
    if sink not in sinks:
        install(MonitorHub([*sinks, sink]))


def remove_sink(sink: Monitor) -> None:
    """Stop reporting to ``sink``; monitoring turns off when no sink is left."""
    sinks = [s for s in (monitor.sinks if monitor is not None else ()) if s is not sink]
    install(MonitorHub(sinks) if sinks else None)


def report(
    operation: str,
    ok: bool,
    duration_ms: float,
    error: object | None = None,
    subsystem: str = "app",
) -> None:
    """Report one observation when monitoring is on (a no-op otherwise)."""
    m = monitor
    if m is not None:
        m.observe(operation, ok, duration_ms, error, subsystem)


class SpanFactory(Protocol):
    """Opens a span named after an operation (installed by ``rfs.monitoring.otel``)."""

    def __call__(self, name: str) -> SpanScope:
        """A context manager around one operation; its value is told the outcome."""
        ...


class SpanScope(Protocol):
    """A context manager yielding a span handle with ``finish(ok, error)``."""

    def __enter__(self) -> SpanHandle: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class SpanHandle(Protocol):
    """The open span of one operation."""

    def finish(self, ok: bool, error: object | None) -> None:
        """Record the operation's outcome on the span."""
        ...


#: None unless ``rfs.monitoring.otel.instrument()`` installed OpenTelemetry spans.
spans: SpanFactory | None = None


def install_spans(factory: SpanFactory | None) -> None:
    """Set (or clear) the span factory used by ``@log_result_operation``."""
    global spans, listening
    spans = factory
    listening = monitor is not None or spans is not None
