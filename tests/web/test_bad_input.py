"""Bad input never crashes the ops API: any body, header or id answers a 4xx problem or 200."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rfs.web import install
from rfs.web.ops import ops_router
from rfs.web.ops_state import OpsState

TOKEN = "fuzz-token-123456"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

app = install(FastAPI())
state = OpsState(run_store=None)
app.include_router(ops_router(token=TOKEN, state=state, max_body_size=512), prefix="/ops")
_transport = httpx.ASGITransport(app=app)


def _post(path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=_transport, base_url="http://f") as c:
            return await c.post(path, content=body, headers=headers)

    return asyncio.run(go())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(st.binary(max_size=2000), st.text(max_size=600).map(str.encode)),
    cid=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300),
    run_id=st.from_regex(r"[A-Za-z0-9_.~-]{1,40}", fullmatch=True).filter(
        lambda s: s not in (".", "..")
    ),
)
def test_any_ack_body_is_a_client_error_or_ok(body: bytes, cid: str, run_id: str) -> None:
    """Garbage bodies, correlation ids and run ids answer 4xx/501 problems, never a 500."""
    r = _post(f"/ops/runs/{run_id}/ack", body, {**AUTH, "X-Correlation-ID": cid})
    assert r.status_code in (404, 413, 422, 501) or r.status_code < 300
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        assert len(r.headers["x-correlation-id"]) <= 128
