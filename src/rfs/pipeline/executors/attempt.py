"""What the run driver hands an executor and what comes back: one attempt and its outcome.

Plain data (frozen dataclasses; ``TaskRef`` with slots); the code that runs an attempt is in
:mod:`rfs.pipeline.executors.execute`, the executor port in :mod:`rfs.pipeline.executors.base`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType
from typing import Any

from rfs.pipeline.io.base import IOManager
from rfs.pipeline.kinds import STREAM_KINDS, InputMode, TaskKind

__all__ = [
    "OUTPUT_ID",
    "AttemptOutcome",
    "AttemptStatus",
    "InputMode",
    "InputRef",
    "TaskAttempt",
    "TaskRef",
    "stream_item_id",
]

#: Result id of a task's single (non-stream) output.
OUTPUT_ID = "output"


def stream_item_id(index: int) -> str:
    """Result id of item ``index`` of a stream; ids sort in production order."""
    return f"item-{index:09d}"


def _loaded_from(file: str) -> ModuleType | None:
    """A module already imported from ``file`` (under whatever name), if any."""
    try:
        target = os.path.realpath(file)
    except (OSError, ValueError):
        return None
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py") and os.path.realpath(path) == target:
            return module
    return None


@dataclass(frozen=True, slots=True)
class TaskRef:
    """Where a task function lives, importable by another process."""

    module: str
    qualname: str
    file: str | None = None

    @classmethod
    def of(cls, func: Callable[..., Any]) -> TaskRef:
        """Reference to ``func``; records its file when its module was loaded from a path."""
        module = sys.modules.get(func.__module__)
        file = getattr(module, "__file__", None) if module is not None else None
        return cls(func.__module__, func.__qualname__, file)

    def find_module(self, *, load: bool = True) -> ModuleType | None:
        """The module, already imported under this name or from ``file`` under another name.

        A worker may have loaded the pipeline file as ``pipeline`` (by path) while the driver
        imported it as ``examples.etl.pipeline``; importing it a second time would run its
        ``@task`` decorators again under a new module name and fail as duplicate tasks, so
        the loaded module is aliased under the driver's name. With ``load``, a module not
        loaded yet is imported by name, else from ``file``; without, ``None`` is returned.
        """
        module = sys.modules.get(self.module)
        if module is not None:
            return module
        if self.file is not None:
            module = _loaded_from(self.file)
            if module is not None:
                sys.modules[self.module] = module
                return module
        if not load:
            return None
        try:
            return importlib.import_module(self.module)
        except ImportError:
            if self.file is None:
                raise
        spec = importlib.util.spec_from_file_location(self.module, self.file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {self.module!r} from {self.file}") from None
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.module] = module
        spec.loader.exec_module(module)
        return module

    def resolve(self, *, load: bool = True) -> Callable[..., Any]:
        """The function: its module found as :meth:`find_module` does, then ``qualname``.

        ``ImportError`` when the module is not loaded and ``load`` is false (or it cannot be
        imported), ``AttributeError``/``TypeError`` when ``qualname`` is not a callable there.
        """
        module = self.find_module(load=load)
        if module is None:
            raise ImportError(f"module {self.module!r} is not loaded in this process")
        obj: Any = module
        for part in self.qualname.split("."):
            obj = getattr(obj, part)
        if not callable(obj):
            raise TypeError(f"{self.module}.{self.qualname} is not callable")
        return obj  # type: ignore[no-any-return]


@dataclass(frozen=True, init=False)
class InputRef:
    """One parameter fed from an upstream task's output."""

    task_name: str
    mode: InputMode = InputMode.VALUE
    #: number of items when the upstream output is a stream, else ``None``
    stream_count: int | None = None

    # Hand-written: fills ``__dict__`` directly, several times faster than the generated
    # frozen ``__init__`` (one ``object.__setattr__`` call per field) on this per-task path.
    def __init__(
        self, task_name: str, mode: InputMode = InputMode.VALUE, stream_count: int | None = None
    ) -> None:
        d = self.__dict__
        d["task_name"] = task_name
        d["mode"] = mode
        d["stream_count"] = stream_count


class AttemptStatus(StrEnum):
    """How one attempt ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True, init=False)
class TaskAttempt:
    """Everything needed to run one attempt of one task, anywhere."""

    run_id: str
    task_name: str
    attempt: int  # 1 for the first try, 2 for the first retry, ...
    ref: TaskRef
    kind: TaskKind
    io_manager: IOManager
    inputs: Mapping[str, InputRef] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)  # constant keyword arguments
    timeout: float | None = None
    max_retries: int = 0
    stream_output: bool = False
    func: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    correlation_id: str | None = None  # the run's id, set again around the attempt by workers

    # Hand-written: fills ``__dict__`` directly, several times faster than the generated
    # frozen ``__init__`` (one ``object.__setattr__`` call per field) on this per-task path.
    def __init__(
        self,
        run_id: str,
        task_name: str,
        attempt: int,
        ref: TaskRef,
        kind: TaskKind,
        io_manager: IOManager,
        inputs: Mapping[str, InputRef] | None = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        max_retries: int = 0,
        stream_output: bool = False,
        func: Callable[..., Any] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        d = self.__dict__
        d["run_id"] = run_id
        d["task_name"] = task_name
        d["attempt"] = attempt
        d["ref"] = ref
        d["kind"] = kind
        d["io_manager"] = io_manager
        d["inputs"] = {} if inputs is None else inputs
        d["params"] = {} if params is None else params
        d["timeout"] = timeout
        d["max_retries"] = max_retries
        d["stream_output"] = stream_output
        d["func"] = func
        d["correlation_id"] = correlation_id

    @property
    def is_stream(self) -> bool:
        return self.stream_output or self.kind in STREAM_KINDS

    def resolve(self) -> Callable[..., Any]:
        """The task function: ``func`` when in the same process, else imported via ``ref``."""
        return self.func if self.func is not None else self.ref.resolve()

    def __reduce__(self) -> tuple[Any, ...]:
        # the function object itself never crosses a process boundary; ``ref`` does
        state = self.__dict__.copy()
        state["func"] = None
        return (_rebuild_attempt, (state,))


def _rebuild_attempt(state: dict[str, Any]) -> TaskAttempt:
    return TaskAttempt(**state)


@dataclass(frozen=True, init=False)
class AttemptOutcome:
    """What happened to one attempt. Only ids and counts: values stay in the I/O manager."""

    status: AttemptStatus
    result_ids: tuple[str, ...] = ()
    stream_count: int | None = None
    error: str | None = None  # "ExceptionType: message"
    error_type: str | None = None
    traceback: str | None = None
    retryable: bool = True  # False when another attempt cannot help (e.g. unpicklable output)
    started_at: float = 0.0  # time.time()
    finished_at: float = 0.0

    # Hand-written: fills ``__dict__`` directly, several times faster than the generated
    # frozen ``__init__`` (one ``object.__setattr__`` call per field) on this per-task path.
    def __init__(
        self,
        status: AttemptStatus,
        result_ids: tuple[str, ...] = (),
        stream_count: int | None = None,
        error: str | None = None,
        error_type: str | None = None,
        traceback: str | None = None,
        retryable: bool = True,
        started_at: float = 0.0,
        finished_at: float = 0.0,
    ) -> None:
        d = self.__dict__
        d["status"] = status
        d["result_ids"] = result_ids
        d["stream_count"] = stream_count
        d["error"] = error
        d["error_type"] = error_type
        d["traceback"] = traceback
        d["retryable"] = retryable
        d["started_at"] = started_at
        d["finished_at"] = finished_at

    @property
    def ok(self) -> bool:
        return self.status is AttemptStatus.SUCCEEDED

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)

    @classmethod
    def failed(
        cls,
        error: str,
        *,
        error_type: str = "Error",
        started_at: float = 0.0,
        status: AttemptStatus = AttemptStatus.FAILED,
        retryable: bool = True,
        tb: str | None = None,
    ) -> AttemptOutcome:
        """A failed (or timed-out) outcome with the given error text."""
        now = time.time()
        return cls(
            status=status,
            error=error,
            error_type=error_type,
            traceback=tb,
            retryable=retryable,
            started_at=started_at or now,
            finished_at=now,
        )

    @classmethod
    def timed_out(cls, task_name: str, timeout: float, *, started_at: float) -> AttemptOutcome:
        """The outcome of an attempt stopped after ``timeout`` seconds."""
        return cls.failed(
            f"task {task_name!r} timed out after {timeout:g}s",
            error_type="TimeoutError",
            started_at=started_at,
            status=AttemptStatus.TIMED_OUT,
        )
