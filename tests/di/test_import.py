"""``import rfs.di`` stays light: no third-party package, no asyncio until it is needed."""

from __future__ import annotations

import subprocess
import sys


def test_import_rfs_di_loads_no_web_framework_or_event_loop() -> None:
    """FastAPI, SQLAlchemy and asyncio are not imported by ``import rfs.di``."""
    code = (
        "import sys, rfs.di\n"
        "heavy = ['fastapi', 'starlette', 'sqlalchemy', 'asyncio', 'concurrent.futures']\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
