"""RFS v4's multi-method ``ResultServiceMocker`` API (``mock_method``, ``get_mock``...).

v4's mocker was a label plus one ``unittest.mock`` object per method name: it patched
nothing, and the test handed ``mocker.get_mock(name)`` to the code under test. These
methods keep that API on :class:`rfs.testing.ResultServiceMocker`; every call of every
method is recorded in ``call_records``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rfs.result import Failure, Result

__all__ = ["MockCallRecord", "V4MockerMethods"]


@dataclass
class MockCallRecord:
    """One call of a mocked method (v4)."""

    method_name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    timestamp: float
    result: Any = None
    exception: BaseException | None = None

    @property
    def was_successful(self) -> bool:
        """Whether the call returned rather than raised."""
        return self.exception is None


class V4MockerMethods:
    """The per-method-name half of ``ResultServiceMocker`` (RFS v4's API)."""

    service_name: str
    call_records: list[MockCallRecord]
    _mocked_methods: dict[str, Any]

    def mock_method(
        self, method_name: str, return_value: Any = None, side_effect: Any = None
    ) -> Any:
        """A ``unittest.mock`` stand-in for ``method_name`` returning ``return_value``.

        ``side_effect`` is a function called with the arguments (its value is returned), an
        exception (raised) or an iterable (one value per call), as in ``unittest.mock``. The
        mock is async when ``return_value`` is a coroutine function or coroutine.
        """
        from unittest import mock

        is_async = inspect.iscoroutinefunction(return_value) or inspect.iscoroutine(return_value)
        stand_in = mock.AsyncMock() if is_async else mock.Mock()
        effects = None
        if side_effect is not None and not callable(side_effect):
            is_error = isinstance(side_effect, BaseException)
            effects = None if is_error else iter(side_effect)

        def respond(*args: Any, **kwargs: Any) -> Any:
            record = MockCallRecord(method_name, args, kwargs, time.time())
            self.call_records.append(record)
            try:
                if isinstance(side_effect, BaseException):
                    raise side_effect
                if effects is not None:
                    value = next(effects)
                elif side_effect is not None:
                    value = side_effect(*args, **kwargs)
                else:
                    value = mock.DEFAULT if return_value is None else return_value
            except BaseException as exc:
                record.exception = exc
                raise
            record.result = value
            return value

        stand_in.side_effect = respond
        self._mocked_methods[method_name] = stand_in
        return stand_in

    def return_failure(self, method_name: str, error: Any) -> Any:
        """``method_name`` returns ``Failure(error)``."""
        return self.mock_method(method_name, Failure(error))

    def return_mono_success(self, method_name: str, value: Any) -> Any:
        """``method_name`` returns a ``MonoResult`` of ``Success(value)``."""
        from rfs.reactive import MonoResult

        return self.mock_method(method_name, MonoResult.from_value(value))

    def return_mono_failure(self, method_name: str, error: Any) -> Any:
        """``method_name`` returns a ``MonoResult`` of ``Failure(error)``."""
        from rfs.reactive import MonoResult

        return self.mock_method(method_name, MonoResult.from_error(error))

    def return_flux_results(self, method_name: str, results: Iterable[Result[Any, Any]]) -> Any:
        """``method_name`` returns a ``FluxResult`` of ``results``."""
        from rfs.reactive import FluxResult

        return self.mock_method(method_name, FluxResult.from_results(results))

    def _v4_calls(self, method_name: str) -> list[MockCallRecord]:
        return [record for record in self.call_records if record.method_name == method_name]

    def _v4_sequence(self, method_name: str, values: Iterable[Any]) -> Any:
        pending = list(values)

        def next_value(*args: Any, **kwargs: Any) -> Any:
            if not pending:
                raise AssertionError(
                    f"{self.service_name}.{method_name} was called more often than "
                    "return_sequence gave values"
                )
            return pending.pop(0)

        return self.mock_method(method_name, side_effect=next_value)

    def assert_called(self, method_name: str) -> None:
        """Assert ``method_name`` was called at least once."""
        if not self._v4_calls(method_name):
            raise AssertionError(f"Method {method_name} was not called")

    def assert_called_once(self, method_name: str) -> None:
        """Assert ``method_name`` was called exactly once."""
        count = len(self._v4_calls(method_name))
        if count != 1:
            raise AssertionError(f"Method {method_name} was called {count} times, expected 1")

    def _v4_assert_called_with(self, method_name: str, *args: Any, **kwargs: Any) -> None:
        if not any(r.args == args and r.kwargs == kwargs for r in self._v4_calls(method_name)):
            raise AssertionError(
                f"Method {method_name} was not called with args {args} and kwargs {kwargs}"
            )

    def _v4_assert_not_called(self, method_name: str) -> None:
        count = len(self._v4_calls(method_name))
        if count:
            raise AssertionError(f"Method {method_name} was called {count} times, expected 0")

    def get_call_count(self, method_name: str) -> int:
        """How many times ``method_name`` was called."""
        return len(self._v4_calls(method_name))

    def get_call_args(self, method_name: str, call_index: int = 0) -> tuple[Any, ...]:
        """The positional arguments of call ``call_index`` of ``method_name``."""
        calls = self._v4_calls(method_name)
        if call_index >= len(calls):
            raise IndexError(f"Call index {call_index} out of range for method {method_name}")
        return calls[call_index].args

    def reset_mock(self) -> None:
        """Forget every recorded call and reset the per-method mocks."""
        self.call_records.clear()
        for stand_in in self._mocked_methods.values():
            stand_in.reset_mock()

    def get_mock(self, method_name: str) -> Any:
        """The ``unittest.mock`` object of ``method_name`` (None if it was not mocked)."""
        return self._mocked_methods.get(method_name)
