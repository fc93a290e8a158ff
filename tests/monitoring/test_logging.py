"""Result logging: entries, correlation ids, masking, configure_logging and levels."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rfs.monitoring import (
    MASK,
    Masker,
    ResultLogEntry,
    configure_logging,
    correlation_scope,
    current_correlation_id,
    get_correlation_id,
    get_log_level,
    log_info,
    log_result_operation,
    set_log_level,
    with_correlation_id,
)
from rfs.reactive import MonoResult
from rfs.result import Failure, Result, Success


class Coded:
    code = "NOT_FOUND"

    def __str__(self) -> str:
        return "user 7 not found"


def test_correlation_scope_nests_and_restores() -> None:
    """A scope sets the id for its block and restores the outer one after."""
    with correlation_scope("outer") as outer:
        with correlation_scope("inner"):
            assert current_correlation_id() == "inner"
        assert current_correlation_id() == outer == "outer"


def test_get_correlation_id_creates_one_and_keeps_it() -> None:
    """get_correlation_id creates an id once and returns it again (v4 behaviour)."""

    async def run() -> tuple[str, str]:
        return get_correlation_id(), get_correlation_id()

    a, b = asyncio.run(run())
    assert a == b and len(a) >= 16


async def test_correlation_id_follows_asyncio_tasks() -> None:
    """A task created inside a scope sees the scope's id."""
    with with_correlation_id("req-1"):
        seen = await asyncio.create_task(asyncio.sleep(0, result=current_correlation_id()))
    assert seen == "req-1"


def test_sync_decorator_logs_success_and_error(caplog: pytest.LogCaptureFixture) -> None:
    """One entry per call: success at INFO, error at ERROR with type, code and message."""
    caplog.set_level(logging.INFO, logger="rfs.monitoring")

    @log_result_operation("lookup")
    def lookup(ok: bool) -> Result[int, Coded]:
        return Success(1) if ok else Failure(Coded())

    with correlation_scope("c-1"):
        assert lookup(True) == Success(1)
        lookup(False)
    ok, err = caplog.records
    assert (ok.levelname, err.levelname) == ("INFO", "ERROR")
    fields = err.rfs_fields  # type: ignore[attr-defined]
    assert fields["error_type"] == "Coded" and fields["error_code"] == "NOT_FOUND"
    assert fields["error_message"] == "user 7 not found"
    assert fields["correlation_id"] == "c-1" and fields["operation_name"] == "lookup"
    assert ok.rfs_fields["success_type"] == "int"  # type: ignore[attr-defined]


async def test_log_step_inside_operation_carries_operation_and_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """MonoResult.log_step inside @log_result_operation logs the operation and correlation id."""
    caplog.set_level(logging.INFO)

    @log_result_operation("user_retrieval")
    async def get_user() -> Result[int, str]:
        return await MonoResult.from_value(3).log_step("fetch").to_result()

    await get_user()
    step = next(r for r in caplog.records if getattr(r, "rfs_step", None) == "fetch")
    entry = next(r for r in caplog.records if r.name == "rfs.monitoring")
    assert step.operation == "user_retrieval"  # type: ignore[attr-defined]
    assert step.correlation_id == entry.correlation_id is not None  # type: ignore[attr-defined]


async def test_exception_is_logged_and_reraised(caplog: pytest.LogCaptureFixture) -> None:
    """An exception escaping the function is logged as an error entry and propagates."""
    caplog.set_level(logging.INFO, logger="rfs.monitoring")

    @log_result_operation("boom")
    async def boom() -> Result[int, str]:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        await boom()
    assert caplog.records[-1].rfs_fields["error_type"] == "RuntimeError"  # type: ignore[attr-defined]


def test_disabled_logger_emits_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """Below the logger's level the decorator and log_info emit no record."""
    caplog.set_level(logging.WARNING, logger="rfs.monitoring")

    @log_result_operation("quiet")
    def quiet() -> Result[int, str]:
        return Success(1)

    quiet()
    log_info("hidden", password="x")
    assert not caplog.records


def test_decorator_follows_level_changes_after_decoration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Raising, lowering and disabling the logger after decoration take effect on the next call;
    errors are still logged while INFO is filtered."""
    caplog.set_level(logging.WARNING, logger="rfs.monitoring")
    caplog.handler.setLevel(logging.INFO)  # the logger's own level decides

    @log_result_operation("level_watch")
    def op(ok: bool) -> Result[int, str]:
        return Success(1) if ok else Failure("no")

    def levels() -> list[str]:
        out = [r.levelname for r in caplog.records]
        caplog.clear()
        return out

    op(True)
    op(False)
    assert levels() == ["ERROR"]
    logging.getLogger("rfs.monitoring").setLevel(logging.INFO)
    op(True)
    assert levels() == ["INFO"]
    logging.getLogger("rfs.monitoring").disabled = True  # what dictConfig does to old loggers
    try:
        op(True)
        op(False)
        assert levels() == []
    finally:
        logging.getLogger("rfs.monitoring").disabled = False
    logging.getLogger("rfs.monitoring").setLevel(logging.ERROR)
    op(True)
    assert levels() == []


@pytest.mark.parametrize("level", [logging.WARNING, logging.INFO])
async def test_arguments_reach_the_function_quiet_or_emitting(
    caplog: pytest.LogCaptureFixture, level: int
) -> None:
    """Positional and keyword arguments are passed unchanged, sync and async, whether the
    decorator is quiet or emitting."""
    caplog.set_level(level, logger="rfs.monitoring")

    @log_result_operation("args_sync")
    def add(a: int, b: int = 0, *, c: int = 0) -> Result[int, str]:
        return Success(a + 10 * b + 100 * c)

    @log_result_operation("args_async")
    async def add_async(a: int, b: int = 0, *, c: int = 0) -> Result[int, str]:
        return Success(a + 10 * b + 100 * c)

    assert [add(1), add(1, 2), add(1, b=2, c=3)] == [Success(1), Success(21), Success(321)]
    assert await add_async(1, c=3) == Success(301) and await add_async(4) == Success(4)
    assert len(caplog.records) == (5 if level == logging.INFO else 0)


def test_entry_is_located_at_the_decorated_function(caplog: pytest.LogCaptureFixture) -> None:
    """The record names the decorated function, its file and line, not rfs internals."""
    caplog.set_level(logging.INFO, logger="rfs.monitoring")

    @log_result_operation("located")
    def located_here() -> Result[int, str]:
        return Success(1)

    located_here()
    (record,) = caplog.records
    assert record.funcName == "located_here"
    assert record.pathname == __file__
    assert record.lineno == located_here.__wrapped__.__code__.co_firstlineno  # type: ignore[attr-defined]


def test_log_info_masks_fields_before_the_record(caplog: pytest.LogCaptureFixture) -> None:
    """Secret-named fields and card numbers never reach a handler unmasked."""
    caplog.set_level(logging.INFO, logger="rfs.monitoring")
    log_info(
        "login password=hunter2",
        password="hunter2",
        user="ann",
        nested={"api_key": "k", "note": "card 4111 1111 1111 1111"},
    )
    record = caplog.records[0]
    assert "hunter2" not in record.getMessage()
    fields = record.rfs_fields  # type: ignore[attr-defined]
    assert fields["password"] == MASK and fields["user"] == "ann"
    assert fields["nested"] == {"api_key": MASK, "note": f"card {MASK}"}


def test_failing_rule_masks_the_whole_value() -> None:
    """A custom rule that raises masks the value instead of leaking it."""

    def broken(key: str, value: object) -> object:
        raise ValueError("bad rule")

    masker = Masker(rules=[broken])
    assert masker.mask_fields({"note": "plain"}) == {"note": MASK}


def test_configured_keys_are_masked() -> None:
    """A configured key name is masked like the built-in ones."""
    masker = Masker(keys=["ssn_last4"])
    assert masker.mask_fields({"ssn_last4": "1234", "x": 1}) == {"ssn_last4": MASK, "x": 1}


@given(
    st.text(),
    st.dictionaries(
        st.text(max_size=10),
        st.recursive(
            st.none() | st.integers() | st.text(),
            lambda c: st.lists(c) | st.dictionaries(st.text(), c),
            max_leaves=20,
        ),
    ),
)
def test_masking_never_crashes(text: str, fields: dict[str, object]) -> None:
    """Any text and nested fields are masked without raising."""
    masker = Masker()
    assert isinstance(masker.mask_text(text), str)
    assert set(masker.mask_fields(fields)) == set(fields)


@pytest.mark.parametrize("use_structlog", [True, False])
def test_configure_logging_renders_masked_json(use_structlog: bool) -> None:
    """configure_logging(json=True) writes one masked JSON object per record."""
    stream = io.StringIO()
    handler = configure_logging(
        json=True, level="INFO", logger="rfs.test_json", stream=stream, use_structlog=use_structlog
    )
    try:
        lg = logging.getLogger("rfs.test_json")
        with correlation_scope("cid-9"):
            log_info("token=abc123 sent", logger="rfs.test_json", token="abc123", n=2)
        lg.info("plain %s", "x", extra={"secret": "s3"})
        lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    finally:
        lg.removeHandler(handler)
    assert lines[0]["correlation_id"] == "cid-9" and lines[0]["n"] == 2
    assert lines[0]["token"] == MASK and "abc123" not in stream.getvalue()
    assert lines[1]["event"] == "plain x" and lines[1]["secret"] == MASK


def test_configure_logging_twice_keeps_one_handler() -> None:
    """Calling configure_logging again replaces its own handler rather than adding one."""
    lg = logging.getLogger("rfs.test_twice")
    configure_logging(json=False, logger="rfs.test_twice", stream=io.StringIO())
    h = configure_logging(json=False, logger="rfs.test_twice", stream=io.StringIO())
    assert lg.handlers == [h]
    lg.removeHandler(h)


def test_set_log_level_changes_level_at_run_time() -> None:
    """set_log_level takes effect on the named logger at once; bad names are refused."""
    set_log_level("rfs.test_levels", "ERROR")
    assert get_log_level("rfs.test_levels") == "ERROR"
    set_log_level("rfs.test_levels", logging.DEBUG)
    assert get_log_level("rfs.test_levels") == "DEBUG"
    with pytest.raises(ValueError, match="unknown log level"):
        set_log_level("rfs.test_levels", "LOUD")


def test_result_log_entry_has_seed_fields() -> None:
    """ResultLogEntry has seed 004's defaults and drops None fields in to_dict."""
    from datetime import UTC, datetime

    entry = ResultLogEntry(datetime.now(UTC), "c", "op", None, "success", 1.5)
    assert entry.service_name == "rfs-framework" and entry.environment == "production"
    assert "error_type" not in entry.to_dict() and entry.to_dict()["operation_name"] == "op"
