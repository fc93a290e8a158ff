"""Child processes for tests that look at what a plain interpreter imports."""

from __future__ import annotations

import os


def unmeasured_env() -> dict[str, str]:
    """This environment without coverage's subprocess hook (``make test`` measures children;
    a test of what gets imported must see an interpreter as users run it)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}
