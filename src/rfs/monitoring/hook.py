"""The one slot every subsystem reports through: ``monitor`` is None while monitoring is off, so an
instrumented hot path pays one global lookup and a comparison. Standard library only.

A subsystem reports with::

    from rfs.monitoring import hook
    ...
    m = hook.monitor
    if m is not None:
        m.observe("pipeline.task", ok, duration_ms, error, subsystem="pipeline")

A hot path reporting one fixed operation keeps a ``Site`` and calls its ``record`` (or ``since``
with a ``time.perf_counter()`` reading), resolved on first use after each ``install`` (no
operation name formatted or looked up per call)::

    _site = hook.Site("events.consume", "events")
    ...
    if hook.monitor is not None:
        _site.since(ok, started, error)  # or _site.record(ok, duration_ms, error)
"""

from __future__ import annotations

import contextlib
import os
import time
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Protocol

#: ``time.perf_counter()``'s clock, read in C where the extension is built (a quarter cheaper).
perf_counter: Callable[[], float] = time.perf_counter
if os.environ.get("RFS_PURE_PYTHON") != "1":
    with contextlib.suppress(ImportError):  # no compiler at install time: time.perf_counter
        from rfs._speedups import perf_counter

#: ``record(ok, duration_ms, error)``: one outcome of an operation fixed in advance. A recorder
#: may also have ``since(ok, started, error)``, timing from a ``time.perf_counter()`` reading.
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
    """A hot path's handle on one operation: ``record(ok, duration_ms, error=None)`` and
    ``since(ok, started, error=None)`` (``started`` a ``time.perf_counter()`` reading) record
    into the installed monitor. The first call after each ``install`` resolves the hub's
    recorder for the operation and keeps it (see the module docstring)."""

    __slots__ = ("__weakref__", "operation", "record", "since", "subsystem")
    record: Recorder
    since: Recorder

    def __init__(self, operation: str, subsystem: str = "app") -> None:
        self.operation = operation
        self.subsystem = subsystem
        self.forget()
        _sites.add(self)

    def _resolve(self) -> bool:
        hub = monitor
        if hub is None:  # monitoring was turned off since the caller checked
            return False
        record = hub.recorder(self.operation, self.subsystem)
        since: Recorder | None = getattr(record, "since", None)
        if since is None:

            def since(ok: bool, started: float, error: object | None = None) -> None:
                record(ok, (perf_counter() - started) * 1000.0, error)

        self.record, self.since = record, since
        return True

    def _resolve_and_record(
        self, ok: bool, duration_ms: float, error: object | None = None
    ) -> None:
        if self._resolve():
            self.record(ok, duration_ms, error)

    def _resolve_and_time(self, ok: bool, started: float, error: object | None = None) -> None:
        if self._resolve():
            self.since(ok, started, error)

    def forget(self) -> None:
        """Resolve the recorder again on the next call (the installed hub changed)."""
        self.record = self._resolve_and_record
        self.since = self._resolve_and_time


#: Every live Site, told to resolve again when a hub is installed.
_sites: weakref.WeakSet[Site] = weakref.WeakSet()


#: None while monitoring is off; ``rfs.monitoring.enable_monitoring()`` installs a MonitorHub.
monitor: MonitorHub | None = None


#: False while neither a monitor nor spans are installed (one check for decorated functions).
listening = False


def install(hub: MonitorHub | None) -> None:
    """Set (or, with None, clear) the monitor every subsystem reports to."""
    global monitor, listening
    monitor = hub
    listening = monitor is not None or spans is not None
    for site in list(_sites):
        site.forget()


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
