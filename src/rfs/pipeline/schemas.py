"""Types of task inputs and outputs: JSON Schemas (pydantic) and a compatibility check."""

from __future__ import annotations

import collections.abc as cabc
import functools
import types
import typing
from typing import Any, Literal, Protocol, Union, get_args, get_origin

from rfs.pipeline.kinds import InputMode

__all__ = [
    "describe",
    "input_mode",
    "input_schema",
    "is_compatible",
    "output_schema",
    "stream_item_type",
]

_STREAMS = (
    cabc.Generator,
    cabc.Iterator,
    cabc.Iterable,
    cabc.AsyncGenerator,
    cabc.AsyncIterator,
    cabc.AsyncIterable,
)
_SYNC_ITER = (cabc.Iterator, cabc.Iterable, cabc.Generator)
_ASYNC_ITER = (cabc.AsyncIterator, cabc.AsyncIterable, cabc.AsyncGenerator)
_LISTS = (list, cabc.Sequence, cabc.Collection, tuple)
_NUMERIC = {int: (float, complex), float: (complex,)}


def _strip(tp: Any) -> Any:
    while get_origin(tp) is typing.Annotated:
        tp = get_args(tp)[0]
    if tp is None:
        return type(None)
    return tp


def stream_item_type(return_type: Any) -> Any:
    """The item type of a stream output: ``T`` of ``Generator[T, ...]``, ``AsyncIterator[T]``..."""
    tp = _strip(return_type)
    origin = get_origin(tp)
    if origin in _STREAMS or origin in _LISTS:
        args = get_args(tp)
        return args[0] if args else Any
    return Any


def describe(tp: Any) -> str:
    """A short readable name of a type (``list[int]``, ``int | None``)."""
    tp = _strip(tp)
    if tp is Any:
        return "Any"
    if tp is type(None):
        return "None"
    if isinstance(tp, type) and not get_args(tp):
        return tp.__qualname__
    return str(tp).replace("typing.", "").replace("collections.abc.", "")


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


@functools.lru_cache(maxsize=4096)
def _compatible_cached(src: Any, dst: Any) -> bool:
    return _compatible(src, dst)


def is_compatible(src: Any, dst: Any) -> bool:
    """Whether a value of type ``src`` can be passed where ``dst`` is expected.

    Handles ``Any``, unions and ``Optional``, subclasses, numeric widening (int → float),
    ``Literal``, ``Annotated`` and generics (origins by subclass, arguments covariantly).
    Unknown constructs are accepted rather than refused.
    """
    try:
        return _compatible_cached(src, dst)
    except TypeError:  # unhashable annotation
        return _compatible(src, dst)


def _compatible(src: Any, dst: Any) -> bool:
    src, dst = _strip(src), _strip(dst)
    if src is Any or dst is Any or dst is object or src == dst:
        return True
    if isinstance(src, typing.TypeVar) or isinstance(dst, typing.TypeVar):
        return True
    if _is_union(src):
        return all(is_compatible(member, dst) for member in get_args(src))
    if _is_union(dst):
        return any(is_compatible(src, member) for member in get_args(dst))
    if get_origin(src) is Literal:
        return all(is_compatible(type(v), dst) for v in get_args(src))
    if get_origin(dst) is Literal:
        return False
    src_origin = get_origin(src) or src
    dst_origin = get_origin(dst) or dst
    if not isinstance(src_origin, type) or not isinstance(dst_origin, type):
        return True  # NewType, ParamSpec, ...: not checked
    try:
        if not issubclass(src_origin, dst_origin):
            return dst_origin in _NUMERIC.get(src_origin, ())
    except TypeError:
        return True
    src_args, dst_args = get_args(src), get_args(dst)
    if not src_args or not dst_args:
        return True
    if src_origin is tuple and dst_origin is tuple:
        return _tuple_compatible(src_args, dst_args)
    if issubclass(src_origin, cabc.Mapping) and issubclass(dst_origin, cabc.Mapping):
        return all(is_compatible(s, d) for s, d in zip(src_args[:2], dst_args[:2], strict=False))
    if src_origin is tuple:  # tuple[int, ...] -> Sequence[int]
        items = [a for a in src_args if a is not Ellipsis]
        return all(is_compatible(a, dst_args[0]) for a in items)
    return all(is_compatible(s, d) for s, d in zip(src_args, dst_args, strict=False))


def _tuple_compatible(src_args: tuple[Any, ...], dst_args: tuple[Any, ...]) -> bool:
    if len(dst_args) == 2 and dst_args[1] is Ellipsis:
        return all(is_compatible(a, dst_args[0]) for a in src_args if a is not Ellipsis)
    if len(src_args) == 2 and src_args[1] is Ellipsis:
        return False
    return len(src_args) == len(dst_args) and all(
        is_compatible(s, d) for s, d in zip(src_args, dst_args, strict=True)
    )


def input_mode(param_type: Any) -> tuple[InputMode, Any]:
    """How a parameter receives a stream, and the item type it expects.

    ``Iterator[T]``/``Iterable[T]`` → lazy iterator, ``AsyncIterator[T]`` → async iterator,
    ``list[T]``/``Sequence[T]`` → a list; anything else (``Any``, unannotated) → lazy iterator.
    """
    tp = _strip(param_type)
    origin = get_origin(tp) or tp
    args = get_args(tp)
    item = args[0] if args else Any
    if origin in _ASYNC_ITER:
        return InputMode.AITER, item
    if origin in _SYNC_ITER:
        return InputMode.ITER, item
    if origin in _LISTS:
        return InputMode.LIST, item
    if tp is Any:
        return InputMode.ITER, Any
    return InputMode.VALUE, tp


def _schema_of(tp: Any) -> dict[str, Any]:
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(tp).json_schema()
    except Exception:  # arbitrary classes pydantic cannot describe
        return {"title": describe(tp)}


class TypedTask(Protocol):
    """What the schema functions read from a task (a :class:`~rfs.pipeline.registry.TaskInfo`)."""

    @property
    def parameters(self) -> dict[str, bool]: ...
    @property
    def is_stream(self) -> bool: ...
    @property
    def return_type(self) -> Any: ...
    @property
    def output_item_type(self) -> Any: ...
    def param_type(self, name: str) -> Any: ...


def input_schema(info: TypedTask) -> dict[str, Any]:
    """JSON Schema of a task's parameters; those without defaults are required."""
    properties = {name: _schema_of(info.param_type(name)) for name in info.parameters}
    required = [name for name, has_default in info.parameters.items() if not has_default]
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def output_schema(info: TypedTask) -> dict[str, Any]:
    """JSON Schema of a task's output; a stream is an array marked ``x-rfs-stream``."""
    if info.is_stream:
        return {"type": "array", "items": _schema_of(info.output_item_type), "x-rfs-stream": True}
    return _schema_of(info.return_type)
