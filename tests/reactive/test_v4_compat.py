"""Code written against rfs-framework 4.6's MonoResult/FluxResult runs on ours unchanged."""

from __future__ import annotations

from rfs.core.result import Failure, Result, Success
from rfs.reactive.flux_result import FluxResult
from rfs.reactive.mono_result import MonoResult


async def fetch_user(user_id: str) -> Result[dict[str, str], str]:
    return Success({"id": user_id}) if user_id != "missing" else Failure("user not found")


async def validate_async(user: dict[str, str]) -> Result[dict[str, str], str]:
    return Success(user)


async def test_v4_mono_docstring_pipeline() -> None:
    """v4's headline MonoResult example, with its v4 import paths."""
    result = await (
        MonoResult.from_async_result(lambda: fetch_user("1"))
        .bind_async_result(lambda user: validate_async(user))
        .bind_result(lambda user: Success(user["id"]))
        .map_error(lambda e: f"failed: {e}")
        .timeout(5.0)
        .to_result()
    )
    assert result == Success("1")


async def test_v4_mono_extras() -> None:
    """Constructor call, on_error_return_value/result, do_on_*, cache and direct await."""
    seen: list[object] = []
    mono = MonoResult(lambda: fetch_user("missing"))
    assert await mono.on_error_return_value({"id": "guest"}) == Success({"id": "guest"})
    assert await mono.on_error_return_result(lambda e: Success(e)) == Success("user not found")
    assert await mono.do_on_error(seen.append).do_on_success(seen.append) == Failure(
        "user not found"
    )
    assert await MonoResult.from_value("v").do_on_success(seen.append).cache() == Success("v")
    assert seen == ["user not found", "v"]


async def test_v4_flux_batch_api() -> None:
    """from_async_results is awaited, parallel_map_async awaited, stats and Mono collectors."""
    flux = await FluxResult.from_async_results(
        [lambda: fetch_user("1"), lambda: fetch_user("missing"), lambda: fetch_user("3")]
    )
    assert repr(flux) == "FluxResult(success=2, failures=1, total=3)"
    assert (flux.count_total(), len(flux)) == (3, 3)
    assert flux.success_rate() == 2 / 3
    assert flux.is_any_failure() and not flux.is_all_success()
    validated = await flux.filter_success().parallel_map_async(validate_async, max_concurrency=5)
    assert validated.count_success() == 2
    assert await flux.collect_results().to_result() == Failure(["user not found"])
    ids = await flux.filter_success().map(lambda u: u["id"]).collect_success_values()
    assert ids == Success(["1", "3"])
    assert await flux.collect_error_values() == Success(["user not found"])
    assert [r.is_success() for r in flux.take(2)] == [True, False]
    assert flux.skip(2).to_list() == [Success({"id": "3"})]
    assert FluxResult([Success(1)]).to_list() == [Success(1)]
    assert FluxResult.empty().count_total() == 0
    doubled = await FluxResult.from_values([1, 2]).parallel_map(lambda v: v * 2, max_concurrency=2)
    assert doubled.success_values() == [2, 4]


async def test_v4_docstring_flux_chain_without_awaiting_first() -> None:
    """v4's FluxResult class docstring chain (which did not run on v4 itself) runs here."""
    results = await (
        FluxResult.from_async_results([lambda uid=uid: fetch_user(uid) for uid in ["1", "2"]])
        .filter_success()
        .parallel_map_async(lambda user: validate_async(user))
        .collect_results()
        .to_result()
    )
    assert results == Success([{"id": "1"}, {"id": "2"}])


async def test_v4_keyword_names_on_mono_and_flux() -> None:
    """MonoResult and FluxResult accept v4's keyword names (func=, action=, async_func(s)=)."""
    seen: list[object] = []
    mono = (
        MonoResult.from_async_result(async_func=lambda: fetch_user("1"))
        .map(func=lambda user: user["id"])
        .bind_result(func=lambda uid: Success(uid + "!"))
        .bind_async_result(func=lambda uid: validate_async({"id": uid}))
        .do_on_success(action=seen.append)
        .map_error(func=str)
        .on_error_return_result(func=lambda e: Success({"id": e}))
    )
    assert await mono == Success({"id": "1!"}) and seen == [{"id": "1!"}]
    assert await MonoResult.from_error("e").do_on_error(action=seen.append) == Failure("e")
    assert await MonoResult(async_func=lambda: fetch_user("2")) == Success({"id": "2"})
    flux = await FluxResult.from_async_results(async_funcs=[lambda: fetch_user("missing")])
    assert flux.map_error(func=str.upper).failures() == ["USER NOT FOUND"]
    assert FluxResult.from_values([1]).map(func=str).success_values() == ["1"]
