"""Worker side: find a task module under the driver's name when it was loaded under another."""

from __future__ import annotations

import os
import sys

from rfs.pipeline.executors.base import TaskRef

__all__ = ["alias_loaded_file"]


def alias_loaded_file(ref: TaskRef) -> None:
    """If ``ref.module`` is not imported but its file is (under another name), alias it.

    A worker may have loaded the pipeline file as ``pipeline`` (by path) while the driver
    imported it as ``examples.etl.pipeline``; importing it a second time would run its
    ``@task`` decorators again under a new module name and fail as duplicate tasks.
    """
    if ref.module in sys.modules or ref.file is None:
        return
    try:
        target = os.path.realpath(ref.file)
    except OSError:
        return
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py") and os.path.realpath(path) == target:
            sys.modules[ref.module] = module
            return
