"""What a cold start cost: ``StartupMetrics`` (seed 000) with per-module and per-warm-up detail."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ModuleImport", "StartupMetrics", "WarmupFailed", "WarmupOutcome"]


@dataclass(frozen=True)
class ModuleImport:
    """One preloaded module: seconds its import took (dependencies first loaded included),
    how many modules it added to ``sys.modules``, and the error when it failed."""

    name: str
    seconds: float
    new_modules: int
    already_loaded: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class WarmupOutcome:
    """One warm-up function's run: seconds, and the error (exception, Failure or timeout)."""

    name: str
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class StartupMetrics:
    """Seconds spent since the optimizer was created (``total_time``), importing preloaded
    modules, in ``initialization()`` blocks and in warm-ups; ``modules``/``warmups`` detail them.
    """

    total_time: float
    import_time: float
    initialization_time: float
    warmup_time: float
    modules: list[ModuleImport] = field(default_factory=list)
    warmups: list[WarmupOutcome] = field(default_factory=list)

    @property
    def failed_imports(self) -> list[ModuleImport]:
        return [m for m in self.modules if not m.ok]

    @property
    def failed_warmups(self) -> list[WarmupOutcome]:
        return [w for w in self.warmups if not w.ok]


class WarmupFailed(Exception):
    """Some warm-ups failed or timed out; ``outcomes`` holds every warm-up's outcome."""

    def __init__(self, outcomes: list[WarmupOutcome]) -> None:
        failed = [w for w in outcomes if not w.ok]
        listed = "; ".join(f"{w.name}: {w.error}" for w in failed)
        super().__init__(f"{len(failed)} of {len(outcomes)} warm-up(s) failed: {listed}")
        self.outcomes = outcomes
