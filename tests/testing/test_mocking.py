"""mock_result_service: patching sync and async methods, call history, restoring."""

from __future__ import annotations

import sys
import types
import uuid

import pytest

from rfs.result import Failure, Result, Success
from rfs.testing import ResultServiceMocker, mock_result_service


class Repo:
    """A service with a sync and an async method."""

    def find(self, key: str) -> Result[str, str]:
        return Success(f"real {key}")

    async def find_async(self, key: str) -> Result[str, str]:
        return Success(f"real async {key}")


repo = Repo()


async def test_async_method_gets_an_async_fake() -> None:
    """Patching an async method installs an async fake recording calls."""
    with mock_result_service(repo, "find_async") as mock:
        mock.return_success("fake")
        assert await repo.find_async("k", limit=1) == Success("fake")  # type: ignore[call-arg]
        assert mock.call_args_history == [(("k",), {"limit": 1})]
    assert await repo.find_async("k") == Success("real async k")


def test_sync_method_gets_a_sync_fake() -> None:
    """Patching a sync method installs a sync fake returning the Result directly."""
    with mock_result_service(repo, "find") as mock:
        mock.return_error("missing")
        assert repo.find("k") == Failure("missing")
        mock.assert_called_once_with("k")
    assert repo.find("k") == Success("real k")


def test_patch_on_a_class_records_no_self() -> None:
    """On a class the fake is a staticmethod: instances call it without self; restored after."""
    other = Repo()
    with mock_result_service(Repo, "find") as mock:
        mock.return_success(1)
        assert other.find("x") == Success(1)
        mock.assert_called_once_with("x")
    assert other.find("x") == Success("real x")
    assert "find" in vars(Repo) and not isinstance(vars(Repo)["find"], staticmethod)


def test_string_target_resolves_an_import_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A dotted string is imported: module, then attributes."""
    name = f"fake_services_{uuid.uuid4().hex}"
    module = types.ModuleType(name)
    module.svc = Repo()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    with mock_result_service(f"{name}.svc", "find") as mock:
        mock.return_success("via path")
        assert module.svc.find("a") == Success("via path")  # type: ignore[attr-defined]
    assert module.svc.find("a") == Success("real a")  # type: ignore[attr-defined]


def test_string_target_resolves_a_name_in_the_calling_module() -> None:
    """A bare name found in the caller's module globals is used (the seed's style)."""
    with mock_result_service("repo", "find") as mock:
        mock.return_success("global")
        assert repo.find("z") == Success("global")


def test_unresolvable_targets_raise_clearly() -> None:
    """An unknown path or a missing method is a programmer error with a clear message."""
    with pytest.raises(LookupError, match="not a name in the calling module"):
        mock_result_service(f"no_such_module_{uuid.uuid4().hex}", "find")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        mock_result_service(repo, "nope")


def test_restores_even_when_the_block_raises() -> None:
    """An exception inside the with block still restores the original."""
    with pytest.raises(RuntimeError), mock_result_service(repo, "find") as mock:
        mock.return_success(0)
        raise RuntimeError("test body failed")
    assert repo.find("k") == Success("real k")
    assert "find" not in vars(repo)


def test_restores_an_instance_attribute() -> None:
    """A method stored on the instance itself is put back as it was."""
    holder = types.SimpleNamespace(call=lambda: Success("own"))
    original = holder.call
    with mock_result_service(holder, "call") as mock:
        mock.return_success("fake")
        assert holder.call() == Success("fake")
    assert holder.call is original


async def test_return_sequence_then_exhaustion_fails_the_test() -> None:
    """Each call takes the next Result; a call past the end raises AssertionError."""
    with mock_result_service(repo, "find_async") as mock:
        mock.return_sequence([Failure("e1"), Success("ok")])
        assert await repo.find_async("a") == Failure("e1")
        assert await repo.find_async("b") == Success("ok")
        with pytest.raises(AssertionError, match="called 3 times but return_sequence gave 2"):
            await repo.find_async("c")


def test_unconfigured_mock_and_raise_exception() -> None:
    """A call before configuration fails clearly; raise_exception makes calls raise."""
    with mock_result_service(repo, "find") as mock:
        with pytest.raises(
            AssertionError, match=r"find\('a'\) was called but the mocker has no result"
        ):
            repo.find("a")
        mock.raise_exception(ConnectionError("down"))
        with pytest.raises(ConnectionError):
            repo.find("b")
        assert mock.call_count == 2


def test_call_assertions_show_expected_and_actual() -> None:
    """assert_called_once_with and friends name the expected call and the history."""
    with mock_result_service(repo, "find") as mock:
        mock.return_success(1)
        mock.assert_not_called()
        repo.find("a")
        repo.find("b", x=2)  # type: ignore[call-arg]
        mock.assert_called_with("b", x=2)
        mock.assert_called_times(2)
        with pytest.raises(
            AssertionError,
            match=r"expected one call Repo.find\('a'\), got 2: "
            r"Repo.find\('a'\), Repo.find\('b', x=2\)",
        ):
            mock.assert_called_once_with("a")
        with pytest.raises(AssertionError, match=r"expected last call Repo.find\('a'\)"):
            mock.assert_called_with("a")
        mock.reset()
        mock.assert_not_called()


def test_is_async_override_and_async_callable_objects() -> None:
    """is_async overrides detection; an object with an async __call__ counts as async."""

    class AsyncCallable:
        async def __call__(self) -> Result[int, str]:
            return Success(0)

    holder = types.SimpleNamespace(fn=AsyncCallable(), sync=lambda: Success(0))
    with mock_result_service(holder, "fn") as mock:
        assert mock.is_async
    with mock_result_service(holder, "sync", is_async=True) as mock:
        assert mock.is_async


async def test_mocker_can_be_used_directly() -> None:
    """A ResultServiceMocker is itself a callable fake (async by default, as in the seed)."""
    mock = ResultServiceMocker("svc", "get").return_success(5)
    assert await mock(1) == Success(5)
    sync = ResultServiceMocker("svc", "get", is_async=False).return_result(Failure("x"))
    assert sync() == Failure("x")
    assert repr(mock) == "<ResultServiceMocker svc.get calls=1>"
    with pytest.raises(TypeError):
        mock.return_result(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mock.return_sequence([Success(1), 2])  # type: ignore[list-item]
