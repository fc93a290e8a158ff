"""Task registry: ``@task`` turns a function into a named, tagged pipeline task."""

from __future__ import annotations

import builtins
import contextlib
import inspect
import sys
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypedDict, TypeVar, Unpack, overload

from rfs.pipeline.io.base import IOManager, UnsafeNameError, check_name
from rfs.pipeline.kinds import ASYNC_KINDS, STREAM_KINDS, TaskKind, kind_of

__all__ = [
    "DuplicateTaskError",
    "TaskInfo",
    "TaskKind",
    "TaskRegistry",
    "default_registry",
    "get_registry",
    "task",
]

F = TypeVar("F", bound=Callable[..., Any])


class DuplicateTaskError(ValueError):
    """Two different functions were registered under the same task name."""


def _location(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    where = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else "?"
    return f"{func.__module__}.{func.__qualname__} ({where})"


class TaskInfo:
    """A registered task: its function, metadata and (lazily) its type hints and JSON schemas."""

    __slots__ = (
        "_hints",
        "_input_schema",
        "_output_schema",
        "defined_at",
        "dependencies",
        "description",
        "fail_safe",
        "func",
        "io_manager",
        "is_async",
        "is_generator",
        "is_stream",
        "kind",
        "max_retries",
        "name",
        "parameters",
        "retry_backoff",
        "stream_output",
        "tags",
        "timeout",
    )

    def __init__(
        self,
        *,
        name: str,
        func: Callable[..., Any],
        tags: tuple[str, ...] = (),
        dependencies: tuple[str, ...] = (),
        max_retries: int = 0,
        retry_backoff: float = 0.5,
        fail_safe: bool = False,
        stream_output: bool = False,
        timeout: float | None = None,
        description: str | None = None,
        io_manager: IOManager | None = None,
    ) -> None:
        self.name = name
        self.func = func
        self.kind = kind_of(func)
        #: a coroutine function or an async generator
        self.is_async = self.kind in ASYNC_KINDS
        #: a generator or async generator (its output is a stream)
        self.is_generator = self.kind in STREAM_KINDS
        #: output saved item by item (generators, or ``stream_output=True``)
        self.is_stream = stream_output or self.is_generator
        self.tags = tags
        self.dependencies = dependencies
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.fail_safe = fail_safe
        self.stream_output = stream_output
        self.timeout = timeout
        self.description = description
        self.io_manager = io_manager
        self.defined_at = _location(func)
        sig = inspect.signature(func)
        #: parameter name -> has a default (so is not required)
        self.parameters: dict[str, bool] = {
            p.name: p.default is not inspect.Parameter.empty
            for p in sig.parameters.values()
            if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        }
        self._hints: dict[str, Any] | None = None
        self._input_schema: dict[str, Any] | None = None
        self._output_schema: dict[str, Any] | None = None
        try:
            self._hints = self._resolve_hints()
        except Exception:  # forward references resolved later, on first use
            self._hints = None

    # -- derived facts -------------------------------------------------------------------------
    def _resolve_hints(self) -> dict[str, Any]:
        module = sys.modules.get(self.func.__module__)
        globalns = vars(module) if module is not None else None
        return typing.get_type_hints(self.func, globalns=globalns, include_extras=False)

    @property
    def hints(self) -> dict[str, Any]:
        """Resolved type hints of the function (``return`` included), ``Any`` where missing."""
        if self._hints is None:
            self._hints = self._resolve_hints()
        return self._hints

    def param_type(self, name: str) -> Any:
        """The annotated type of a parameter (``Any`` when not annotated)."""
        hints = self._hints if self._hints is not None else self.hints
        return hints.get(name, Any)

    @property
    def return_type(self) -> Any:
        """The annotated return type (``Any`` when not annotated)."""
        hints = self._hints if self._hints is not None else self.hints
        return hints.get("return", Any)

    @property
    def output_item_type(self) -> Any:
        """The type of what downstream tasks receive per item (streams) or as a whole."""
        from rfs.pipeline.schemas import stream_item_type

        if self.is_stream:
            return stream_item_type(self.return_type)
        return self.return_type

    @property
    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the parameters (an object; parameters without defaults required)."""
        if self._input_schema is None:
            from rfs.pipeline.schemas import input_schema

            self._input_schema = input_schema(self)
        return self._input_schema

    @property
    def output_schema(self) -> dict[str, Any]:
        """JSON Schema of the output; streams are ``{"type": "array", "x-rfs-stream": true}``."""
        if self._output_schema is None:
            from rfs.pipeline.schemas import output_schema

            self._output_schema = output_schema(self)
        return self._output_schema

    @property
    def module(self) -> str:
        return str(self.func.__module__)

    @property
    def qualname(self) -> str:
        return str(self.func.__qualname__)

    def __repr__(self) -> str:
        return (
            f"TaskInfo(name={self.name!r}, kind={self.kind.value}, deps={list(self.dependencies)})"
        )


def _dep_name(dep: str | Callable[..., Any]) -> str:
    if isinstance(dep, str):
        return dep
    name = getattr(dep, "__rfs_task__", None)
    if not isinstance(name, str):
        raise TypeError(f"dependency {dep!r} is neither a task name nor a @task function")
    return name


def _same_function(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    """The same definition seen twice (a module imported again, e.g. in a worker)."""
    return a is b or (
        a.__module__ == b.__module__
        and a.__qualname__ == b.__qualname__
        and "<locals>" not in a.__qualname__
    )


class TaskOptions(TypedDict, total=False):
    """Keyword options of ``@task(...)``; see :meth:`TaskRegistry.register` for defaults."""

    name: str | None
    tags: Iterable[str]
    dependencies: Iterable[str | Callable[..., Any]]
    max_retries: int
    retry_backoff: float
    fail_safe: bool
    stream_output: bool
    timeout: float | None
    description: str | None
    io_manager: IOManager | None


class TaskRegistry:
    """Named tasks. The global one is :func:`get_registry`; tests make their own."""

    #: ``get(name)`` -> the :class:`TaskInfo` registered under ``name``; ``KeyError(name)``
    #: when there is none. Bound straight to the dict lookup: it is on every hot path.
    get: Callable[[str], TaskInfo]

    def __init__(self) -> None:
        self._tasks: dict[str, TaskInfo] = {}
        self.get = self._tasks.__getitem__

    def register(
        self,
        func: Callable[..., Any],
        *,
        name: str | None = None,
        tags: Iterable[str] = (),
        dependencies: Iterable[str | Callable[..., Any]] = (),
        max_retries: int = 0,
        retry_backoff: float = 0.5,
        fail_safe: bool = False,
        stream_output: bool = False,
        timeout: float | None = None,
        description: str | None = None,
        io_manager: IOManager | None = None,
    ) -> TaskInfo:
        """Register ``func`` as a task and return its :class:`TaskInfo`."""
        task_name = name if name is not None else func.__name__
        try:
            check_name("task name", task_name)
        except UnsafeNameError as exc:
            raise UnsafeNameError(f"{exc} (defined at {_location(func)})") from None
        if max_retries < 0:
            raise ValueError(f"task {task_name!r}: max_retries must be >= 0, got {max_retries}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"task {task_name!r}: timeout must be > 0 seconds, got {timeout}")
        info = TaskInfo(
            name=task_name,
            func=func,
            tags=tuple(tags),
            dependencies=tuple(dict.fromkeys(_dep_name(d) for d in dependencies)),
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            fail_safe=fail_safe,
            stream_output=stream_output,
            timeout=timeout,
            description=description if description is not None else inspect.getdoc(func),
            io_manager=io_manager,
        )
        if task_name in info.dependencies:
            raise ValueError(f"task {task_name!r} lists itself as a dependency ({info.defined_at})")
        existing = self._tasks.get(task_name)
        if existing is not None and not _same_function(existing.func, func):
            raise DuplicateTaskError(
                f"task name {task_name!r} is already registered by {existing.defined_at}; "
                f"cannot register {info.defined_at} under the same name (pass name=...)"
            )
        self._tasks[task_name] = info
        return info

    @overload
    def task(self, func: F, /, **options: Unpack[TaskOptions]) -> F: ...
    @overload
    def task(self, func: None = None, /, **options: Unpack[TaskOptions]) -> Callable[[F], F]: ...
    def task(self, func: F | None = None, /, **options: Any) -> F | Callable[[F], F]:
        """Decorator registering a function as a task; usable bare or with options."""

        def decorate(fn: F) -> F:
            info = self.register(fn, **options)
            with contextlib.suppress(AttributeError, TypeError):
                fn.__rfs_task__ = info.name  # type: ignore[attr-defined]
            return fn

        return decorate(func) if func is not None else decorate

    def find(self, name: str) -> TaskInfo | None:
        """The task registered under ``name``, or ``None``."""
        return self._tasks.get(name)

    def list(self, tags: Iterable[str] | None = None) -> builtins.list[TaskInfo]:
        """Tasks in registration order; with ``tags``, those having any of them."""
        if tags is None:
            return [*self._tasks.values()]
        wanted = set(tags)
        return [t for t in self._tasks.values() if wanted.intersection(t.tags)]

    def names(self) -> builtins.list[str]:
        """Task names in registration order."""
        return [*self._tasks]

    def unregister(self, name: str) -> None:
        """Remove a task (no error if absent)."""
        self._tasks.pop(name, None)

    def clear(self) -> None:
        """Remove every task."""
        self._tasks.clear()

    def __contains__(self, name: object) -> bool:
        return name in self._tasks

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[TaskInfo]:
        return iter([*self._tasks.values()])


_default_registry = TaskRegistry()


def default_registry() -> TaskRegistry:
    """The process-wide default registry that the bare :func:`task` decorator fills."""
    return _default_registry


get_registry = default_registry
"""Old name of :func:`default_registry`."""


class _TaskOptionsIn(TaskOptions, total=False):
    registry: TaskRegistry | None


@overload
def task(func: F, /, **options: Unpack[_TaskOptionsIn]) -> F: ...
@overload
def task(func: None = None, /, **options: Unpack[_TaskOptionsIn]) -> Callable[[F], F]: ...
def task(func: F | None = None, /, **options: Any) -> F | Callable[[F], F]:
    """Register a function as a task in the default registry (or ``registry=``).

    Works on sync and async functions, generators and async generators. Returns the function
    unchanged, so it can still be called directly and imported by worker processes.
    """
    registry = options.pop("registry", None)
    if registry is None:
        registry = _default_registry
    if func is not None:
        return registry.task(func, **options)  # type: ignore[no-any-return]
    return registry.task(**options)  # type: ignore[no-any-return]
