"""Read constructor and factory parameters with their injection keys, fast.

Plain Python functions are read from their code object and ``__annotations__`` (string
annotations from ``from __future__ import annotations`` are evaluated once, with the
registry's class names as a fallback namespace, so locally defined classes resolve too);
anything else falls back to ``inspect.signature``.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, NamedTuple

from rfs.di.errors import RegistrationError
from rfs.di.markers import MISSING, Inject

NO_HINT: Any = inspect.Parameter.empty


class Param(NamedTuple):
    """One injectable parameter: the key to resolve and what to do when it is absent."""

    name: str
    key: Any
    default: Any
    positional_only: bool
    optional: bool

    @property
    def has_default(self) -> bool:
        """Whether the callable supplies its own default for this parameter."""
        return self.default is not MISSING


class _Fallback(Mapping[str, Any]):
    """Names looked up in the function's globals first, then among registered classes."""

    __slots__ = ("_globals", "_names")

    def __init__(self, globals_: Mapping[str, Any], names: Mapping[str, Any]) -> None:
        self._globals = globals_
        self._names = names

    def __getitem__(self, key: str) -> Any:
        if key in self._globals:
            return self._globals[key]
        return self._names[key]

    def __iter__(self) -> typing.Iterator[str]:
        return iter(self._globals)

    def __len__(self) -> int:
        return len(self._globals)


@functools.lru_cache(maxsize=4096)
def _compiled(source: str) -> types.CodeType:
    return compile(source, "<type hint>", "eval")


def _evaluate(hint: Any, globals_: dict[str, Any], names: Mapping[str, Any], where: str) -> Any:
    if not isinstance(hint, str):
        return hint
    try:
        return eval(_compiled(hint), globals_, _Fallback(globals_, names))  # nosec B307 # evaluates the application's own annotations like get_type_hints
    except NameError as exc:
        raise RegistrationError(
            f"{where}: cannot resolve type hint {hint!r} ({exc}); import the type at module level "
            "or register the class it names"
        ) from None


def _split(hint: Any) -> tuple[Any, str | None, bool]:
    """(key, qualifier name, optional?) for a resolved annotation."""
    name: str | None = None
    if typing.get_origin(hint) is Annotated:
        for extra in hint.__metadata__:
            if isinstance(extra, Inject):
                name = extra.name
        hint = hint.__origin__
    optional = False
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(args) < len(typing.get_args(hint)):
            hint, optional = args[0], True
    return (name if name is not None else hint), name, optional


def _target_function(target: Callable[..., Any]) -> tuple[Any, bool]:
    """The function whose parameters are injected, and whether its first one is ``self``."""
    if isinstance(target, type):
        init = getattr(target, "__init__")  # noqa: B009
        if init is object.__init__:
            return None, False
        return init, True
    return target, False


def read_params(target: Callable[..., Any], names: Mapping[str, Any]) -> list[Param]:
    """Injectable parameters of a class constructor or a factory function, in order."""
    func, skip_self = _target_function(target)
    if func is None:
        return []
    where = getattr(target, "__qualname__", None) or repr(target)
    if isinstance(func, types.FunctionType):
        return _from_code(func, skip_self, names, where)
    return _from_signature(target, names, where)


def _from_code(
    func: types.FunctionType, skip_self: bool, names: Mapping[str, Any], where: str
) -> list[Param]:
    code = func.__code__
    n_pos = code.co_argcount
    n_kw = code.co_kwonlyargcount
    arg_names = code.co_varnames[: n_pos + n_kw]
    defaults = func.__defaults__ or ()
    kwdefaults = func.__kwdefaults__ or {}
    annotations = func.__annotations__
    first_default = n_pos - len(defaults)
    params: list[Param] = []
    for index, arg in enumerate(arg_names):
        if index == 0 and skip_self:
            continue
        if index < n_pos:
            default = defaults[index - first_default] if index >= first_default else MISSING
        else:
            default = kwdefaults.get(arg, MISSING)
        hint = annotations.get(arg, NO_HINT)
        params.append(
            _param(arg, hint, default, index < code.co_posonlyargcount, func, names, where)
        )
    return params


def _param(
    arg: str,
    hint: Any,
    default: Any,
    positional_only: bool,
    func: Any,
    names: Mapping[str, Any],
    where: str,
) -> Param:
    if hint is NO_HINT:
        return Param(arg, None, default, positional_only, False)
    try:
        resolved = (
            _evaluate(hint, getattr(func, "__globals__", {}), names, f"{where}({arg})")
            if isinstance(hint, str)
            else hint
        )
    except RegistrationError:
        if default is MISSING:
            raise
        return Param(arg, None, default, positional_only, False)  # unknown name: not injectable
    if isinstance(resolved, type) and not isinstance(resolved, types.GenericAlias):
        return Param(arg, resolved, default, positional_only, False)  # the common case
    key, _name, optional = _split(resolved)
    return Param(arg, key, default, positional_only, optional)


def _from_signature(
    target: Callable[..., Any], names: Mapping[str, Any], where: str
) -> list[Param]:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    func = inspect.unwrap(getattr(target, "__init__") if isinstance(target, type) else target)  # noqa: B009
    params: list[Param] = []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = MISSING if p.default is p.empty else p.default
        params.append(
            _param(p.name, p.annotation, default, p.kind is p.POSITIONAL_ONLY, func, names, where)
        )
    return params
