"""Stable cache keys: the same call gives the same key in every process and Python version.

No ``hash()`` (randomised per process for str); values are encoded by type into readable,
unambiguous text: ``module.qualname("u1",42)``. A method's instance is left out unless the key
template names it. An argument with no stable encoding raises ``CacheKeyError`` at the call
that first sees it, naming the argument and the ways out.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import hashlib
import inspect
import string
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from rfs.cache.errors import CacheKeyError

__all__ = ["KeyBuilder", "encode"]

MAX_KEY = 250  # longer argument parts are replaced by their BLAKE2b digest
_MAX_DEPTH = 32
_MISSING = object()


def _str(value: str) -> str:
    if "\\" in value or '"' in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + value + '"'


def _seq(brackets: str, items: Any, depth: int) -> str:
    return brackets[0] + ",".join([_encode(item, depth + 1) for item in items]) + brackets[1]


def _encode(value: Any, depth: int = 0) -> str:
    kind = type(value)
    fast = _FAST.get(kind)
    if fast is not None:
        return fast(value)
    if depth > _MAX_DEPTH:
        raise CacheKeyError("argument nests deeper than 32 levels (a cycle?)")
    custom = getattr(value, "__cache_key__", None)
    if custom is not None:
        return f"{kind.__name__}:{_encode(custom(), depth + 1)}"
    if isinstance(value, enum.Enum):
        return f"{kind.__name__}.{value.name}"
    if isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        return _str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "b" + bytes(value).hex()
    if isinstance(value, tuple | list):
        return _seq("()" if isinstance(value, tuple) else "[]", value, depth)
    if isinstance(value, Mapping):
        items = sorted(f"{_encode(k, depth + 1)}:{_encode(v, depth + 1)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, set | frozenset):
        return "set{" + ",".join(sorted(_encode(item, depth + 1) for item in value)) + "}"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return f"{kind.__name__}:{value.isoformat()}"
    if isinstance(value, datetime.timedelta):
        return f"timedelta:{value.total_seconds()!r}"
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return f"{kind.__name__}:{value}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [getattr(value, field.name) for field in dataclasses.fields(value)]
        return kind.__name__ + _seq("()", fields, depth)
    dump = getattr(value, "model_dump", None)  # pydantic models, without importing pydantic
    if callable(dump):
        return kind.__name__ + _encode(dump(mode="json"), depth + 1)
    raise CacheKeyError(f"a {kind.__qualname__} has no stable cache key")


_FAST: dict[type, Callable[[Any], str]] = {
    str: _str,
    int: int.__repr__,
    float: float.__repr__,
    bool: bool.__repr__,
    type(None): lambda _: "None",
}


def encode(value: Any) -> str:
    """The stable text of ``value`` in a key (raises ``CacheKeyError`` when there is none)."""
    return _encode(value)


def _qualname(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', None) or '?'}.{getattr(fn, '__qualname__', repr(fn))}"


def is_method(fn: Callable[..., Any], params: list[inspect.Parameter]) -> bool:
    """A function defined in a class body whose first parameter is ``self`` or ``cls``."""
    qualname = getattr(fn, "__qualname__", "").rsplit("<locals>.", 1)[-1]
    return "." in qualname and bool(params) and params[0].name in ("self", "cls")


class KeyBuilder:
    """Builds the key of one call of one function: ``key(args, kwargs) -> str``.

    ``template`` is a ``str.format`` string over the parameter names (``"user:{user_id}"``,
    ``"{self.tenant}:{sku}"``); ``function`` receives the call's arguments and returns the
    key; neither gives ``module.qualname(<encoded arguments>)``.
    """

    def __init__(self, fn: Callable[..., Any], key: str | Callable[..., str] | None = None) -> None:
        self.name = _qualname(fn)
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters.values())
        self.skip_instance = is_method(fn, params)
        self.template = key if isinstance(key, str) else None
        self.function = key if callable(key) else None
        if key is not None and self.template is None and self.function is None:
            raise CacheKeyError(f"key= must be a template string or a function, got {key!r}")
        self.uses_instance = self.function is not None
        if self.template is not None:
            self.uses_instance = self._check_template(self.template, params)
        simple = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params)
        self._names = [p.name for p in params]
        # fill[n]: the defaults completing a call with n positional arguments (None: not enough)
        defaults = [p.default for p in params]
        self._fill: list[tuple[Any, ...] | None] = []
        for n in range(len(params) + 1):
            tail = defaults[n:]
            ok = simple and all(d is not inspect.Parameter.empty for d in tail)
            self._fill.append(tuple(tail) if ok else None)
        self._offset = 1 if self.skip_instance and not self.uses_instance else 0
        self._prefix = self.name + "("
        self.build: Callable[[tuple[Any, ...], dict[str, Any]], str] = self._compile()

    def _check_template(self, template: str, params: list[inspect.Parameter]) -> bool:
        names = {p.name for p in params}
        used: set[str] = set()
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        except ValueError as exc:
            raise CacheKeyError(f"key template {template!r} of {self.name}: {exc}") from None
        for field in fields:
            root = field.split(".", 1)[0].split("[", 1)[0]
            if not root or root not in names:
                raise CacheKeyError(
                    f"key template {template!r} of {self.name} names {{{field}}}, but the "
                    f"parameters are {sorted(names)}"
                )
            used.add(root)
        return bool(params) and params[0].name in used

    def _values(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """The call's arguments in parameter order, defaults filled in."""
        if not kwargs and len(args) < len(self._fill):
            fill = self._fill[len(args)]
            if fill is not None:
                return args + fill if fill else args
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.arguments.values())

    def _compile(self) -> Callable[[tuple[Any, ...], dict[str, Any]], str]:
        if self.function is not None:
            function = self.function

            def by_function(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
                key = function(*args, **kwargs)
                if not isinstance(key, str):
                    raise CacheKeyError(f"the key function of {self.name} returned {key!r}")
                return key

            return by_function
        if self.template is not None:
            template, names = self.template, self._names

            def by_template(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
                return template.format_map(
                    dict(zip(names, self._values(args, kwargs), strict=False))
                )

            return by_template
        return self._fast_default()

    def _fast_default(self) -> Callable[[tuple[Any, ...], dict[str, Any]], str]:
        """The default key, specialised for a call of all positional arguments whose values
        have a fast encoding (the common case); anything else takes ``_default``."""
        n, offset, prefix, fast_get, slow = (
            len(self._names),
            self._offset,
            self._prefix,
            _FAST.get,
            self._default,
        )
        if self._fill[n] is None:  # *args, **kwargs or keyword-only parameters
            return slow
        if n - offset == 1:
            quoted = prefix + '"'

            def one(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
                if not kwargs and len(args) == n:
                    value = args[offset]
                    kind = type(value)
                    if kind is str and len(value) <= MAX_KEY and '"' not in value:
                        if "\\" not in value:
                            key: str = quoted + value + '")'
                            return key
                    elif kind is int:
                        return prefix + int.__repr__(value) + ")"
                    fast = fast_get(kind)
                    if fast is not None:
                        part = fast(value)
                        if len(part) <= MAX_KEY:
                            return prefix + part + ")"
                return slow(args, kwargs)

            return one
        return slow

    def _default(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        values = self._values(args, kwargs)
        if self._offset:
            values = values[1:]
        try:
            if len(values) == 1:
                kind = type(values[0])
                fast = _FAST.get(kind)
                part = fast(values[0]) if fast is not None else _encode(values[0])
            else:
                part = ",".join([_encode(value) for value in values])
        except CacheKeyError as exc:
            raise self._unkeyable(values, exc) from None
        if len(part) > MAX_KEY:
            part = "#" + hashlib.blake2b(part.encode(), digest_size=16).hexdigest()
        return self._prefix + part + ")"

    def _unkeyable(self, values: tuple[Any, ...], exc: CacheKeyError) -> CacheKeyError:
        names = self._names[self._offset :] or ["*args"]
        for name, value in zip(names, values, strict=False):
            try:
                _encode(value)
            except CacheKeyError:
                return CacheKeyError(
                    f"argument {name!r} of {self.name} ({type(value).__qualname__}) cannot form a "
                    f"cache key: {exc}. Pass key='...{{other_args}}' or key=function, or give "
                    f"{type(value).__qualname__} a __cache_key__() method"
                )
        return CacheKeyError(f"{self.name}: {exc}")

    def for_invalidate(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        """The key of a call given without the instance, when the key leaves it out."""
        if self.skip_instance and not self.uses_instance:
            args = (None, *args)
        return self.build(args, kwargs)
