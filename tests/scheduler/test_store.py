"""State stores: round trips and fencing, in memory, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rfs.result import Failure, Success
from rfs.scheduler import MemoryStateStore, SQLStateStore, StateStore, TriggerState

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.service("postgres"))]
)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str
) -> AsyncIterator[StateStore]:
    if request.param == "memory":
        yield MemoryStateStore()
        return
    if request.param == "sqlite":
        sql = SQLStateStore(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}")
    else:
        sql = SQLStateStore(postgres_url, table_name=f"sched_{uuid.uuid4().hex[:10]}")
    yield sql
    await sql.drop()
    await sql.close()


async def test_round_trip(store: StateStore) -> None:
    """Saved states load back with aware UTC times and the writer's fence."""
    state = TriggerState("a", cursor=T0, next_fire=T0 + timedelta(hours=1), paused=True)
    assert isinstance(await store.save([state], 3), Success)
    loaded = (await store.load_all())["a"]
    assert loaded.cursor == T0 and loaded.next_fire == T0 + timedelta(hours=1)
    assert loaded.paused and loaded.fence == 3
    await store.delete("a")
    assert await store.load_all() == {}


async def test_older_fencing_token_is_refused(store: StateStore) -> None:
    """After a write with token 5, a write with token 4 fails and changes nothing."""
    await store.save([TriggerState("a", cursor=T0)], 5)
    stale = await store.save([TriggerState("a", cursor=T0 + timedelta(hours=9))], 4)
    assert isinstance(stale, Failure)
    assert stale.error.current == 5 and "another scheduler instance" in str(stale.error)
    assert (await store.load_all())["a"].cursor == T0
    assert isinstance(await store.save([TriggerState("a", cursor=T0)], 6), Success)


async def test_batch_is_atomic(store: StateStore) -> None:
    """A batch with one fenced row writes none of its rows."""
    await store.save([TriggerState("b", cursor=T0)], 7)
    outcome = await store.save(
        [TriggerState("a", cursor=T0), TriggerState("b", cursor=T0 + timedelta(hours=1))], 6
    )
    assert isinstance(outcome, Failure)
    assert set(await store.load_all()) == {"b"}
