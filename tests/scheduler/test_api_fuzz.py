"""Trigger API bodies: any bytes or JSON get a 2xx or a 4xx problem, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfs.events import Event
from rfs.scheduler import FakeClock, Scheduler, create_api_trigger
from rfs.scheduler.api import create_app

from .conftest import RecordingPublisher

HOOK = "hook-secret-22"
AUTH = {"Authorization": f"Bearer {HOOK}"}


def make_app(limit: int = 1024 * 1024) -> tuple[object, Scheduler]:
    scheduler = Scheduler(RecordingPublisher(), clock=FakeClock(datetime(2026, 3, 1, tzinfo=UTC)))
    return create_app(scheduler, token="admin-secret-1", max_body_size=limit), scheduler


async def with_client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")  # type: ignore[arg-type]


async def register(scheduler: Scheduler) -> None:
    factory = create_api_trigger(lambda payload: Event("hooks.in", data=payload), token=HOOK)
    await scheduler.register_trigger("hook", factory, "hooks.in")


def assert_handled(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        problem = response.json()
        assert problem["status"] == response.status_code and problem["detail"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.integers(min_value=1, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
    st.sampled_from([b"NaN", b"-Infinity", b'{"a": NaN}', b"1" * 5000, b"\xff\xfe{", b"{"]),
)


APPS: dict[int, object] = {}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES, limit=st.sampled_from([64, 1024 * 1024]))
async def test_any_body_gets_a_handled_answer(body: bytes, limit: int) -> None:
    """Arbitrary bytes, JSON, deep nesting, huge numbers: 202 or a 4xx problem, never 500."""
    if limit not in APPS:  # one app per limit for all examples: building one is the slow part
        APPS[limit], scheduler = make_app(limit)
        await register(scheduler)
    async with await with_client(APPS[limit]) as http:
        response = await http.post("/triggers/hook/fire", content=body, headers=AUTH)
    assert_handled(response)
    if len(body) > limit:
        assert response.status_code == 413


@pytest.fixture
async def hook_client() -> AsyncIterator[httpx.AsyncClient]:
    app, scheduler = make_app(limit=5000)
    await register(scheduler)
    async with await with_client(app) as http:
        yield http


class CountingBody:
    """A streamed body of 100 chunks of 1000 bytes (no Content-Length) counting its pulls."""

    def __init__(self) -> None:
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(100):
            self.pulled += 1
            yield b"1" * 1000


async def test_body_is_not_read_before_the_token_is_checked(
    hook_client: httpx.AsyncClient,
) -> None:
    """Without a token the app answers 401 without pulling a single chunk of the body."""
    body = CountingBody()
    response = await hook_client.post("/triggers/hook/fire", content=body)
    assert response.status_code == 401 and body.pulled == 0


async def test_streamed_body_stops_being_read_at_the_limit(
    hook_client: httpx.AsyncClient,
) -> None:
    """A body without Content-Length is read only until it passes the limit, then 413."""
    body = CountingBody()
    response = await hook_client.post("/triggers/hook/fire", content=body, headers=AUTH)
    assert response.status_code == 413 and response.json()["title"] == "body_too_large"
    assert body.pulled <= 7


async def test_invalid_json_is_422_and_fires_nothing(hook_client: httpx.AsyncClient) -> None:
    """A body that is not JSON (or uses NaN) is a 422 problem; valid JSON still fires."""
    for body in (b"{", b"NaN", b"[" * 2400 + b"]" * 2400):
        response = await hook_client.post("/triggers/hook/fire", content=body, headers=AUTH)
        assert response.status_code == 422 and response.json()["title"] == "invalid_body"
    ok = await hook_client.post("/triggers/hook/fire", json={"a": [1]}, headers=AUTH)
    assert ok.status_code == 202
