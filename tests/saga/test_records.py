"""Saga log records are input: garbage in a row becomes ``UnreadableRecord``, never a crash;
pickled contexts are signed and checked before they are unpickled."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rfs.saga import (
    ExecutionRecord,
    Saga,
    SagaLog,
    SagaRegistry,
    SagaStatus,
    StepContext,
    TamperedRecord,
    TransactionScope,
    UnreadableRecord,
)
from rfs.saga.decode import decode_events, decode_record
from rfs.saga.serializers import JsonSerializer, PickleSerializer
from rfs.tx import DistributedTransaction


class Abort(BaseException):
    """Stands in for the process dying mid-step."""


class Exploit:
    """A pickle that creates ``marker`` when it is loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.marker, "w"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sagas.db"


@pytest.fixture
async def log(db: Path) -> AsyncIterator[SagaLog]:
    async with SagaLog(f"sqlite:///{db}") as saga_log:
        yield saga_log


def crashing_saga(log: SagaLog, registry: SagaRegistry) -> Saga:
    """A two-step saga whose second step dies the first time each execution runs it."""
    crashed: set[str] = set()

    def second(ctx: object, step: StepContext) -> None:
        if step.execution_id not in crashed:
            crashed.add(step.execution_id)
            raise Abort

    saga = Saga("crashing", log=log, registry=registry, lease=0.05)
    saga.add_step("first", lambda ctx: None)
    saga.add_step("second", second)
    return saga


async def interrupt(saga: Saga, *execution_ids: str) -> None:
    for execution_id in execution_ids:
        with pytest.raises(Abort):
            await saga.execute({"order": execution_id}, execution_id=execution_id)
    await asyncio.sleep(0.1)  # the lease (0.05 s) runs out


def corrupt(db: Path, sql: str, *params: object) -> None:
    con = sqlite3.connect(db, isolation_level=None)
    try:
        assert con.execute(sql, params).rowcount >= 1
    finally:
        con.close()


EXECUTIONS = "UPDATE rfs_saga_executions SET {} WHERE id = 'bad'"
EVENTS = "UPDATE rfs_saga_events SET {} WHERE execution_id = 'bad'"
GARBAGE = {
    "bad json": (EXECUTIONS.format("context = ?"), b"{not json"),
    "deep nesting": (EXECUTIONS.format("context = ?"), b"[" * 100_000),
    "not utf-8": (EXECUTIONS.format("context = ?"), b"\xff\xfe\x00"),
    "context as text": (EXECUTIONS.format("context = ?"), "{}"),
    "lease as text": (EXECUTIONS.format("lease_until = ?"), "soon"),
    "owner as blob": (EXECUTIONS.format("owner = ?"), b"\x01"),
    "unknown event kind": (EVENTS.format("kind = ?"), "exploded"),
    "step index as text": (EVENTS.format("step_index = ?"), "first"),
    "negative attempt": (EVENTS.format("attempt = ?"), -1),
    "time as blob": (EVENTS.format("at = ?"), b"\x00"),
}


@pytest.mark.parametrize(("sql", "value"), GARBAGE.values(), ids=list(GARBAGE))
async def test_garbage_record_is_unreadable_and_the_others_recover(
    log: SagaLog, db: Path, sql: str, value: object
) -> None:
    """Garbage in one execution's row: ``recover()`` reports it unreadable and still finishes
    the others; loading it raises ``UnreadableRecord``; listing shows it with the reason."""
    registry = SagaRegistry()
    await interrupt(crashing_saga(log, registry), "bad", "good")
    corrupt(db, sql, value)

    report = (await log.recover(registry)).unwrap()

    assert report.unreadable == ["bad"]
    assert "'bad' is unreadable" in report.reasons["bad"]
    assert report.completed == ["good"]
    with pytest.raises(UnreadableRecord, match="'bad' is unreadable"):
        await log.load("bad")
    listed = {r.id: r for r in await log.list()}
    assert listed["good"].unreadable is None
    assert sorted(listed) == ["bad", "good"]


async def test_garbage_step_value_of_a_code_form_saga_is_unreadable(log: SagaLog, db: Path) -> None:
    """A code-form saga whose logged step value is not JSON is reported unreadable on replay."""
    registry = SagaRegistry()
    crash = [True]

    def dies() -> None:
        if crash.pop() if crash else False:
            raise Abort

    @DistributedTransaction(name="code_garbage", log=log, registry=registry, lease=0.05)
    async def flow(tx: TransactionScope) -> None:
        await tx.step("a", lambda: {"id": 1})
        await tx.step("b", dies)

    with pytest.raises(Abort):
        await flow()
    [record] = await log.list(saga_name="code_garbage")
    corrupt(db, "UPDATE rfs_saga_events SET detail = '[[[' WHERE kind = 'step_succeeded'")
    await asyncio.sleep(0.1)

    report = (await log.recover(registry)).unwrap()

    assert report.unreadable == [record.id]
    assert "not JSON" in report.reasons[record.id]
    assert report.results == {}


async def test_signed_pickle_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a signing key (argument or ``RFS_SIGNING_KEY``) pickled contexts load as written."""
    from datetime import date

    monkeypatch.setenv("RFS_SIGNING_KEY", "from-the-environment")
    for key in ("explicit", None):
        url = f"sqlite:///{tmp_path / f'{key}.db'}"
        async with SagaLog(url, serializer="pickle", signing_key=key) as log:
            saga = Saga("signed", log=log, registry=SagaRegistry())
            saga.add_step("a", lambda ctx: None)
            assert (await saga.execute({"day": date(2024, 1, 2)}, execution_id="s1")).is_success()
            record = await log.load("s1")
            assert isinstance(record, ExecutionRecord)
            assert record.context == {"day": date(2024, 1, 2)}


@pytest.mark.parametrize("forged_with", [None, b"another key"], ids=["unsigned", "other-key"])
async def test_tampered_pickle_is_refused_before_unpickling(
    tmp_path: Path, db: Path, forged_with: bytes | None
) -> None:
    """A malicious pickle written into the log's table is refused with ``TamperedRecord``:
    its code never runs, and ``recover()`` reports the execution unreadable."""
    marker = tmp_path / "pwned"
    registry = SagaRegistry()
    async with SagaLog(f"sqlite:///{db}", serializer="pickle", signing_key="secret") as log:
        await interrupt(crashing_saga(log, registry), "bad")
        payload = PickleSerializer(forged_with).dumps(Exploit(marker))
        corrupt(db, EXECUTIONS.format("context = ?"), payload)

        with pytest.raises(TamperedRecord, match="signature does not match"):
            await log.load("bad")
        report = (await log.recover(registry)).unwrap()
        [listed] = await log.list()

    assert not marker.exists()
    assert report.unreadable == ["bad"]
    assert listed.unreadable is not None and "signature" in listed.unreadable


async def test_signed_record_read_without_a_key_says_so(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signed context read by a log without the key is refused, naming the setting."""
    monkeypatch.delenv("RFS_SIGNING_KEY", raising=False)
    async with SagaLog(f"sqlite:///{db}", serializer="pickle", signing_key="secret") as log:
        saga = Saga("signed", log=log, registry=SagaRegistry())
        saga.add_step("a", lambda ctx: None)
        await saga.execute({"n": 1}, execution_id="s1")
    async with SagaLog(f"sqlite:///{db}", serializer="pickle") as log:
        with pytest.raises(TamperedRecord, match="RFS_SIGNING_KEY"):
            await log.load("s1")


# -- fuzz: every field of a row, any value ----------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)
context_bytes = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=1, max_value=50_000).map(lambda n: b"[" * n + b"]" * (n % 3)),
    st.integers(min_value=1, max_value=50_000).map(lambda n: b'{"a":' * n),
)
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.sampled_from([s.value for s in SagaStatus] + ["started", "step_started"]),
    st.lists(st.integers(), max_size=3),
)
EXECUTION_FIELDS = ("id", "saga_name", "status", "owner", "lease_until", "created_at")
EVENT_FIELDS = ("kind", "step", "step_index", "attempt", "detail", "at")


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {f: anything for f in EXECUTION_FIELDS},
        optional={"updated_at": anything, "error": anything, "context": context_bytes | anything},
    ),
    st.lists(st.fixed_dictionaries({f: anything for f in EVENT_FIELDS}), max_size=4),
)
def test_decoding_any_row_gives_a_record_or_unreadable(
    row: dict[str, Any], events: list[dict[str, Any]]
) -> None:
    """Whatever a row holds, decoding returns a record or raises ``UnreadableRecord``."""
    for serializer in (JsonSerializer(), PickleSerializer(b"key")):
        try:
            record = decode_record(row, serializer)
        except UnreadableRecord as exc:
            assert "is unreadable" in str(exc)
        else:
            assert isinstance(record.status, SagaStatus)
            assert isinstance(record.lease_until, float)
    try:
        decoded = decode_events("x", events)
    except UnreadableRecord as exc:
        assert "'x' is unreadable" in str(exc)
    else:
        assert all(e.attempt >= 0 and isinstance(e.at, float) for e in decoded)


@settings(max_examples=200, deadline=None)
@given(context_bytes)
def test_any_signed_pickle_bytes_are_checked_not_loaded(data: bytes) -> None:
    """Bytes that are not signed with the key never reach ``pickle.loads``."""
    with pytest.raises(TamperedRecord):
        PickleSerializer(b"key").loads(data)
    with pytest.raises(TamperedRecord):
        PickleSerializer(b"key").loads(PickleSerializer(b"other").dumps(data))


def test_valid_rows_decode_to_what_was_written() -> None:
    """A well-formed row decodes to the record it describes (the decoder is not just strict)."""
    row = {
        "id": "e1",
        "saga_name": "s",
        "status": "running",
        "context": b'{"a":[1,2]}',
        "owner": "h:1:t",
        "lease_until": 5,
        "created_at": 1.0,
        "updated_at": 2.0,
        "error": None,
    }
    record = decode_record(row, JsonSerializer())
    assert (record.status, record.context, record.lease_until) == (
        SagaStatus.RUNNING,
        {"a": [1, 2]},
        5.0,
    )
    [event] = decode_events(
        "e1",
        [{"kind": "step_started", "step": "a", "step_index": 0, "attempt": 1, "detail": None,
          "at": 3}],
    )  # fmt: skip
    assert (event.kind.value, event.index, event.at) == ("step_started", 0, 3.0)


@given(st.lists(st.integers(1, 6), min_size=1, max_size=12), st.integers(0, 11))
def test_a_compensation_failure_logged_twice_counts_once(attempts: list[int], repeat: int) -> None:
    """Replaying a log where a retried write repeated one failure event gives the count of
    distinct failed attempts, the same as the log without the repeat."""
    from rfs.saga.records import EventKind, LogEvent
    from rfs.saga.state import ExecutionState

    failures = [LogEvent(EventKind.COMPENSATION_FAILED, "pay", 0, a, f"boom {a}") for a in attempts]
    doubled = failures[: repeat + 1] + failures[repeat:]
    once = ExecutionState.replay(failures).compensation_errors[0]
    twice = ExecutionState.replay(doubled).compensation_errors[0]
    assert once[1] == twice[1] == len(set(attempts))
    assert once[0] == twice[0] == failures[-1].detail
