"""``import rfs.pipeline`` stays light: heavy libraries load only when used."""

from __future__ import annotations

import subprocess
import sys


def test_import_and_decorate_load_no_heavy_library() -> None:
    """Importing rfs.pipeline and registering a task imports neither pydantic nor SQLAlchemy."""
    code = (
        "import sys\n"
        "from rfs.pipeline import task, get_registry\n"
        "@task\n"
        "def f(x: int = 1) -> int:\n"
        "    return x\n"
        "assert get_registry().get('f').is_async is False\n"
        "print(','.join(m for m in ('pydantic', 'sqlalchemy', 'fsspec', 'rich', 'typer')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
