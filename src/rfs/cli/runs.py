"""``rfs runs list|show``: recorded pipeline runs, read-only (a missing store is reported, never
created)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from rfs.cli._common import (
    JSON_HELP,
    STORE_HELP,
    UserError,
    echo_json,
    print_table,
    secs_text,
    styled_state,
    when_text,
)
from rfs.pipeline.store.base import AttemptRecord, RunRecord, TaskRecord

if TYPE_CHECKING:
    from rfs.pipeline.store.sql import SqlRunStore

__all__ = ["read_run", "register"]

T = TypeVar("T")

STORE_FIX = "run a pipeline first, or pass --store / set RFS_RUN_STORE_URL"


def _read(url: str | None, read: Callable[[SqlRunStore], Awaitable[T]]) -> T:
    """One read from the run store at ``url``, after checking that it exists."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from rfs.cli._stores import require_tables
    from rfs.pipeline.store.sql import SqlRunStore

    store = SqlRunStore(url)
    names = [f"{store.table_prefix}{t}" for t in ("runs", "tasks", "attempts")]

    async def go() -> T:
        engine = create_async_engine(store.url)
        try:
            await require_tables(engine, names, what="run store", fix=STORE_FIX)
        finally:
            await engine.dispose()
        try:
            return await read(store)
        finally:
            await store.close()

    return asyncio.run(go())


def read_run(url: str | None, run_id: str) -> RunRecord:
    """The run ``run_id`` or a UserError."""
    run = _read(url, lambda s: s.get_run(run_id))
    if run is None:
        raise UserError(f"no run {run_id!r}", "see the run ids with `rfs runs list`")
    return run


def _in_run_order(tasks: tuple[TaskRecord, ...]) -> list[TaskRecord]:
    """Tasks by first start; tasks that never started (skipped, pending) last, in store order."""
    order = {t.task_name: i for i, t in enumerate(tasks)}
    return sorted(
        tasks,
        key=lambda t: (t.started_at is None, t.started_at or 0.0, order[t.task_name]),
    )


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "dag_id": run.dag_id,
        "state": run.state.value,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration": run.duration,
        "error": run.error,
        "source": run.spec.get("source"),
        "spec": run.spec,
    }


def _task_json(t: TaskRecord | AttemptRecord) -> dict[str, Any]:
    data = {
        "task": t.task_name,
        "state": t.state.value,
        "started_at": t.started_at,
        "finished_at": t.finished_at,
        "duration": t.duration,
        "error": t.error,
    }
    if isinstance(t, TaskRecord):
        data["attempts"] = t.attempts
        data["stream_count"] = t.stream_count
    else:
        data["attempt"] = t.attempt
    return data


def _first_line(text: str | None) -> str:
    return text.splitlines()[0] if text else ""


def register(app: typer.Typer) -> None:
    """Add ``runs list`` and ``runs show``."""
    runs = typer.Typer(help="Inspect recorded pipeline runs.", no_args_is_help=True)
    app.add_typer(runs, name="runs")

    @runs.command("list")
    def runs_list(
        limit: int = typer.Option(20, "--limit", min=1, help="At most this many, newest first."),
        store: str = typer.Option(None, "--store", help=STORE_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """The latest runs, newest first."""
        records = _read(store, lambda s: s.list_runs(limit))
        if as_json:
            echo_json([_run_json(r) for r in records])
            return
        rows = [
            [
                r.run_id,
                styled_state(r.state.value),
                when_text(r.started_at),
                secs_text(r.duration),
                r.dag_id,
                str(r.spec.get("source") or ""),
            ]
            for r in records
        ]
        headers = ("run id", "state", "started", "duration", "dag id", "source")
        print_table(headers, rows, keep=(0, 1), title="Pipeline runs")

    @runs.command("show")
    def runs_show(
        run_id: str = typer.Argument(..., help="The run id (see `rfs runs list`)."),
        store: str = typer.Option(None, "--store", help=STORE_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """One run: its tasks in run order and every attempt."""
        run = read_run(store, run_id)
        attempts = _read(store, lambda s: s.list_attempts(run_id))
        tasks = _in_run_order(run.tasks)
        if as_json:
            data = _run_json(run)
            data["tasks"] = [_task_json(t) for t in tasks]
            data["attempts"] = [_task_json(a) for a in attempts]
            echo_json(data)
            return
        console = Console()
        console.print(
            f"[bold]{run.run_id}[/bold] {styled_state(run.state.value)}\n"
            f"dag_id={run.dag_id} started {when_text(run.started_at)} "
            f"duration {secs_text(run.duration)}",
            soft_wrap=True,
        )
        if run.error:
            console.print(f"[red]{run.error}[/red]")
        rows = [
            [t.task_name, styled_state(t.state.value), str(t.attempts), secs_text(t.duration),
             _first_line(t.error)]
            for t in tasks
        ]  # fmt: skip
        print_table(("task", "state", "attempts", "duration", "error"), rows, title="Tasks")
        rows = [
            [a.task_name, str(a.attempt), styled_state(a.state.value), when_text(a.started_at),
             secs_text(a.duration), _first_line(a.error)]
            for a in attempts
        ]  # fmt: skip
        headers = ("task", "attempt", "state", "started", "duration", "error")
        print_table(headers, rows, title="Attempts")
