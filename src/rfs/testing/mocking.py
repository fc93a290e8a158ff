"""``mock_result_service``: replace a service method with a Result-returning fake for a test."""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any

from rfs.result import Failure, Result, Success
from rfs.testing.mocking_v4 import MockCallRecord, V4MockerMethods

__all__ = ["MockCallRecord", "ResultServiceMocker", "mock_result_service"]

_UNSET: Any = object()


def _format_call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [repr(arg) for arg in args] + [f"{key}={value!r}" for key, value in kwargs.items()]
    return f"{name}({', '.join(parts)})"


class ResultServiceMocker(V4MockerMethods):
    """A fake service method returning configured Results and recording its calls.

    Configure it with ``return_success(value)``, ``return_error(error)``,
    ``return_result(result)`` or ``return_sequence([...])`` (each returns the mocker, so calls
    chain); check it with ``call_count``, ``call_args_history`` (a list of ``(args, kwargs)``)
    and the ``assert_*`` methods. Called directly, it returns a coroutine when ``is_async``.

    Built without ``method_name`` (``ResultServiceMocker("users")``), it is RFS v4's
    multi-method mocker: ``return_success(method, value)``, ``mock_method``, ``get_mock``,
    ``assert_called_with(method, *args)``... (see :mod:`rfs.testing.mocking_v4`).
    """

    def __init__(
        self, service_name: str, method_name: str | None = None, *, is_async: bool = True
    ) -> None:
        self.service_name = service_name
        self.method_name = method_name
        self.call_records: list[MockCallRecord] = []
        self._mocked_methods: dict[str, Any] = {}
        self.is_async = is_async
        self.call_count = 0
        self.call_args_history: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self._result: Any = _UNSET
        self._sequence: list[Result[Any, Any]] | None = None
        self._sequence_index = 0
        self._exception: BaseException | None = None

    @property
    def name(self) -> str:
        """``service.method``, as shown in messages."""
        return f"{self.service_name}.{self.method_name}"

    # Configuration.

    def return_success(self, *args: Any) -> Any:
        """Every call returns ``Success(value)``: ``return_success(value)``.

        ``return_success(method_name, value)`` is v4's form: it mocks that method and returns
        its ``unittest.mock`` object.
        """
        if len(args) == 2:
            return self.mock_method(args[0], Success(args[1]))
        (value,) = args
        return self.return_result(Success(value))

    def return_error(self, error: Any) -> ResultServiceMocker:
        """Every call returns ``Failure(error)``."""
        return self.return_result(Failure(error))

    def return_result(self, result: Result[Any, Any]) -> ResultServiceMocker:
        """Every call returns ``result``."""
        if not isinstance(result, Result):
            raise TypeError(f"return_result needs a Result, got {result!r}")
        self._result, self._sequence, self._exception = result, None, None
        return self

    def return_sequence(self, *args: Any) -> Any:
        """Call ``n`` returns ``results[n]``; a call past the end fails the test.

        ``return_sequence(method_name, values)`` is v4's form (any values, not only Results).
        """
        if len(args) == 2:
            return self._v4_sequence(args[0], args[1])
        (results,) = args
        sequence = list(results)
        for result in sequence:
            if not isinstance(result, Result):
                raise TypeError(f"return_sequence needs Results, got {result!r}")
        self._result, self._sequence, self._exception = _UNSET, sequence, None
        self._sequence_index = 0
        return self

    def raise_exception(self, exception: BaseException) -> ResultServiceMocker:
        """Every call raises ``exception`` (to test how a bug or a crash is handled)."""
        self._result, self._sequence, self._exception = _UNSET, None, exception
        return self

    def reset(self) -> None:
        """Forget the recorded calls (the configured results stay)."""
        self.call_count = 0
        self.call_args_history.clear()
        self._sequence_index = 0

    # Calls.

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_async:
            return self._respond_async(args, kwargs)
        return self._respond(args, kwargs)

    async def _respond_async(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self._respond(args, kwargs)

    def _respond(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Result[Any, Any]:
        self.call_count += 1
        self.call_args_history.append((args, kwargs))
        if self._exception is not None:
            raise self._exception
        if self._sequence is not None:
            if self._sequence_index >= len(self._sequence):
                raise AssertionError(
                    f"{self.name} was called {self.call_count} times but return_sequence gave "
                    f"{len(self._sequence)} results; last call: "
                    f"{_format_call(self.name, args, kwargs)}"
                )
            result = self._sequence[self._sequence_index]
            self._sequence_index += 1
            return result
        if self._result is _UNSET:
            raise AssertionError(
                f"{_format_call(self.name, args, kwargs)} was called but the mocker has no "
                "result: call return_success, return_error or return_sequence first"
            )
        configured: Result[Any, Any] = self._result
        return configured

    # Assertions.

    def _history(self) -> str:
        if not self.call_args_history:
            return "no calls"
        return ", ".join(_format_call(self.name, a, k) for a, k in self.call_args_history)

    def assert_called_once_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert exactly one call, with these arguments."""
        expected = _format_call(self.name, args, kwargs)
        if self.call_count != 1 or self.call_args_history[0] != (args, kwargs):
            raise AssertionError(
                f"expected one call {expected}, got {self.call_count}: {self._history()}"
            )

    def assert_called_with(self, *args: Any, **kwargs: Any) -> None:
        """Assert the last call had these arguments.

        On a v4 mocker (no ``method_name``): ``assert_called_with(method_name, *args)`` asserts
        some call of that method had these arguments.
        """
        if self.method_name is None:
            self._v4_assert_called_with(*args, **kwargs)
            return
        expected = _format_call(self.name, args, kwargs)
        if not self.call_args_history or self.call_args_history[-1] != (args, kwargs):
            raise AssertionError(f"expected last call {expected}, got {self._history()}")

    def assert_called_times(self, count: int) -> None:
        """Assert exactly ``count`` calls."""
        if self.call_count != count:
            raise AssertionError(
                f"expected {self.name} called {count} times, got {self.call_count}: "
                f"{self._history()}"
            )

    def assert_not_called(self, *method_name: str) -> None:
        """Assert no call (``assert_not_called(method_name)``: v4's per-method form)."""
        if method_name:
            self._v4_assert_not_called(*method_name)
            return
        self.assert_called_times(0)

    def __repr__(self) -> str:
        return f"<ResultServiceMocker {self.name} calls={self.call_count}>"


class _ServicePatch(AbstractContextManager[ResultServiceMocker]):
    """Context manager installing a mocker on ``owner.method`` and restoring it on exit."""

    def __init__(self, owner: Any, owner_name: str, method: str, is_async: bool | None) -> None:
        try:
            current = getattr(owner, method)
        except AttributeError:
            raise AttributeError(
                f"{owner_name} has no attribute {method!r}: mock_result_service patches an "
                "existing method"
            ) from None
        if is_async is None:
            is_async = _is_async_callable(current)
        self._owner = owner
        self._method = method
        self._current = current
        own = getattr(owner, "__dict__", {})
        self._saved: Any = own.get(method, _UNSET)
        self.mocker = ResultServiceMocker(owner_name, method, is_async=is_async)

    def __enter__(self) -> ResultServiceMocker:
        mocker = self.mocker
        fake: Any
        if mocker.is_async:

            async def fake(*args: Any, **kwargs: Any) -> Result[Any, Any]:
                return mocker._respond(args, kwargs)

        else:

            def fake(*args: Any, **kwargs: Any) -> Result[Any, Any]:
                return mocker._respond(args, kwargs)

        if callable(self._current) and hasattr(self._current, "__name__"):
            fake = functools.wraps(self._current)(fake)
        fake.mocker = mocker
        replacement = staticmethod(fake) if isinstance(self._owner, type) else fake
        setattr(self._owner, self._method, replacement)
        return mocker

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._saved is _UNSET:
            delattr(self._owner, self._method)
        else:
            setattr(self._owner, self._method, self._saved)


def _is_async_callable(fn: Any) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _resolve(target: str, caller_globals: dict[str, Any]) -> Any:
    """An object from a dotted path: first name from the caller's module, else an import."""
    parts = target.split(".")
    if parts[0] in caller_globals:
        obj = caller_globals[parts[0]]
        rest = parts[1:]
    else:
        obj, rest = _import_longest(target, parts)
    for name in rest:
        try:
            obj = getattr(obj, name)
        except AttributeError:
            raise LookupError(
                f"mock_result_service: cannot resolve {target!r}: no {name!r}"
            ) from None
    return obj


def _import_longest(target: str, parts: list[str]) -> tuple[Any, list[str]]:
    for end in range(len(parts), 0, -1):
        module_name = ".".join(parts[:end])
        try:
            return importlib.import_module(module_name), parts[end:]
        except ModuleNotFoundError as exc:
            if exc.name is None or not (module_name + ".").startswith(exc.name + "."):
                raise
    raise LookupError(
        f"mock_result_service: cannot resolve {target!r}: not a name in the calling module "
        "and not an importable path; pass the object itself instead (or patch=False for "
        "RFS v4's label-only mocker, which patches nothing)"
    )


def mock_result_service(
    target: Any, *methods: str, is_async: bool | None = None, patch: bool = True
) -> AbstractContextManager[ResultServiceMocker]:
    """Patch ``target.method`` with a ``ResultServiceMocker`` for the ``with`` block.

    ``target`` is the object holding the method (a module, class or instance) or a string:
    a dotted import path (``"app.services.user_service"``) or a name defined in the calling
    module (``"user_service"``). The fake is async when the original method is (override with
    ``is_async``); on a class it is installed as a staticmethod, so calls record no ``self``.
    The original is restored on exit, even when the block raises.

    RFS v4's form, ``mock_result_service("service_name", *methods)`` with no method, several,
    or ``patch=False``, patches nothing: it yields v4's multi-method mocker labelled
    ``target`` with each method mocked (``mocker.get_mock(name)``).

    Example::

        with mock_result_service(user_service, "get_user_async") as mock_svc:
            mock_svc.return_success(user)
            ...
            mock_svc.assert_called_once_with("123")
    """
    if len(methods) != 1 or not patch:
        label = target if isinstance(target, str) else _name_of(target)
        return _labelled(ResultServiceMocker(label), methods)
    return service_patch(target, methods[0], is_async, sys._getframe(1).f_globals)


@contextmanager
def _labelled(
    mocker: ResultServiceMocker, methods: tuple[str, ...]
) -> Iterator[ResultServiceMocker]:
    for method in methods:
        mocker.mock_method(method)
    try:
        yield mocker
    finally:
        mocker.reset_mock()


def _name_of(target: Any) -> str:
    name = getattr(target, "__name__", None) or type(target).__name__
    return str(name)


def service_patch(
    target: Any, method: str, is_async: bool | None, caller_globals: dict[str, Any]
) -> _ServicePatch:
    """The patch ``mock_result_service`` returns, resolving names in ``caller_globals``."""
    if isinstance(target, str):
        owner = _resolve(target, caller_globals)
        owner_name = target
    else:
        owner = target
        owner_name = _name_of(target)
    return _ServicePatch(owner, owner_name, method, is_async)
