"""Child processes for tests that look at what a plain interpreter imports."""

from __future__ import annotations

import os
import subprocess
import sys


def unmeasured_env() -> dict[str, str]:
    """This environment without coverage's subprocess hook (``make test`` measures children;
    a test of what gets imported must see an interpreter as users run it)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS_")}


def third_party_imports_of(statement: str) -> str:
    """The non-stdlib top-level packages (other than rfs) loaded by running ``statement`` in a
    fresh, unmeasured interpreter, comma-separated ("" when none)."""
    code = (
        f"import sys\n{statement}\n"
        "std = sys.stdlib_module_names\n"
        "extra = sorted({m.split('.')[0] for m in sys.modules} - set(std) - {'rfs'})\n"
        "print(','.join(x for x in extra if not x.startswith('_')))"
    )
    return python_output(code)


def python_output(code: str) -> str:
    """What ``python -c code`` prints, stripped, in a fresh unmeasured interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=unmeasured_env(),
    )
    return out.stdout.strip()
