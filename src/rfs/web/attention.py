"""The "needs attention" screen's data: what a person should look at, from every store.

Failed runs not acknowledged, stuck or compensation-failed sagas, dead letters, triggers that
failed, triggers that misfired since their misfires were last acknowledged, alerts firing. A
store that is down is listed under ``unavailable``; when every store is down the answer is a
503 problem.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from rfs.pipeline.store import RunState
from rfs.pipeline.store.acks import MISFIRE
from rfs.result import Failure, Result, Success
from rfs.saga.records import ACTIVE_STATUSES, SagaStatus
from rfs.saga.recovery import is_interrupted
from rfs.web.errors import APIError
from rfs.web.ops_state import OpsState, guarded
from rfs.web.views import execution_view, run_view

__all__ = ["ATTENTION_SCAN", "attention_body", "misfire_view"]

Json = dict[str, Any]
ATTENTION_SCAN = 500  # latest runs/executions looked at for the "needs attention" screen


def misfire_view(info: Any) -> Json:
    """A trigger's misfires as the attention screen lists them."""
    view = info.to_dict()
    return {
        "name": view["name"],
        "kind": view["kind"],
        "description": view["description"],
        "misfires": view["misfires"],
        "last_misfire_time": view["last_misfire_time"],
        "next_fire_time": view["next_fire_time"],
    }


def _stamp(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


async def _failed_runs(st: OpsState, body: Json, unavailable: list[str]) -> None:
    runs = await st.runs(ATTENTION_SCAN)
    failed = [r for r in runs.unwrap_or([]) if r.state is RunState.FAILED]
    acked = await st.run_acks(failed) if isinstance(runs, Success) else runs
    if isinstance(acked, Failure):
        unavailable.append("run store")
        return
    body["runs"] = [run_view(r) for r in failed if r.run_id not in acked.value]


async def _sagas(st: OpsState, body: Json, unavailable: list[str]) -> None:
    sagas = await st.sagas((*ACTIVE_STATUSES, SagaStatus.FAILED), ATTENTION_SCAN)
    if isinstance(sagas, Failure):
        unavailable.append("saga log")
        return
    now = time.time()
    body["sagas"] = [
        {**execution_view(r), "stuck": r.status is not SagaStatus.FAILED}
        for r in sagas.value
        if r.status is SagaStatus.FAILED or is_interrupted(r, now)
    ]


async def _triggers(st: OpsState, body: Json) -> None:
    infos = st.scheduler.list()
    body["triggers"] = [i.to_dict() for i in infos if i.failures or i.last_error]
    misfired = [i for i in infos if i.misfires]
    if not misfired:
        return
    acks = await guarded(st.ack_store().find(MISFIRE, [i.name for i in misfired]), "misfires")
    known = acks.unwrap_or({})
    body["misfires"] = [
        misfire_view(i)
        for i in misfired
        if i.name not in known or not known[i.name].covers(_stamp(i.last_misfire_time))
    ]


async def attention_body(st: OpsState, alerts: list[Any]) -> Result[Json, APIError]:
    """The attention screen's JSON (``alerts`` are the active alerts, if monitoring is on)."""
    body: Json = {
        "runs": [], "sagas": [], "dead_letters": [], "triggers": [], "misfires": [],
        "alerts": alerts,
    }  # fmt: skip
    unavailable: list[str] = []
    if st.run_store is not None:
        await _failed_runs(st, body, unavailable)
    if st.saga_store is not None:
        await _sagas(st, body, unavailable)
    if st.dead_letters is not None:
        letters = await guarded(st.dead_letters(), "dead-letter source")
        body["dead_letters"] = letters.unwrap_or([])
    if st.scheduler is not None:
        await _triggers(st, body)
    stores = (st.run_store is not None) + (st.saga_store is not None)
    if unavailable and len(unavailable) == stores:
        return Failure(APIError.unavailable(f"the {' and '.join(unavailable)} is unavailable"))
    body["unavailable"] = unavailable
    return Success(body)
