from collections.abc import Callable
from typing import Any, TypeVar

def accelerate(
    success: type[Any], failure: type[Any], bool_message: str, /
) -> tuple[type[Any], ...]: ...

_T = TypeVar("_T")

def allocate(cls: type[_T], /) -> _T: ...

class KeywordAliases:
    __wrapped__: Callable[..., Any]
    aliases: dict[str, str]
    def __init__(self, func: Callable[..., Any], aliases: dict[str, str], /) -> None: ...
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
