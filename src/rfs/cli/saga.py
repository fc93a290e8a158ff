"""``rfs saga list|show|recover|purge``: inspect the saga log, finish interrupted executions."""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from rfs.cli._common import JSON_HELP, UserError, echo_json, print_table
from rfs.cli._load import ensure_cwd_on_path, load_module

__all__ = ["register"]

T = TypeVar("T")

_STYLE = {
    "running": "cyan",
    "compensating": "magenta",
    "completed": "green",
    "compensated": "yellow",
    "failed": "red",
}

URL_HELP = "Saga log database URL (default: $RFS_SAGA_LOG_URL, else .rfs/sagas.db)."
PREFIX_HELP = "Table prefix of the saga log."


def _when(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _styled(status: str) -> str:
    style = _STYLE.get(status, "white")
    return f"[{style}]{status}[/{style}]"


def _with_log(
    url: str | None, prefix: str, use: Callable[[Any], Awaitable[T]], *, read_only: bool = False
) -> T:
    """Run ``use(log)``; an unreachable log exits with status 1 and the reason. ``read_only``:
    a log that does not exist (no file, no tables under ``prefix``) is a user error, and
    nothing is created."""
    from sqlalchemy.exc import SQLAlchemyError

    from rfs.cli._stores import require_tables
    from rfs.saga.errors import SagaLogError
    from rfs.saga.log import SagaLog

    async def run() -> T:
        log = SagaLog(url, table_prefix=prefix)
        try:
            if read_only:
                tables = [log.executions.name, log.events.name]
                fix = "check --url and --table-prefix (or $RFS_SAGA_LOG_URL)"
                await require_tables(log.engine, tables, what="saga log", fix=fix)
            return await use(log)
        finally:
            await log.close()

    try:
        return asyncio.run(run())
    except (SagaLogError, SQLAlchemyError, OSError) as exc:
        message = " ".join(str(exc).split())
        typer.echo(f"error: cannot use the saga log: {message}", err=True)
        raise typer.Exit(1) from exc


def _import(modules: list[str]) -> None:
    ensure_cwd_on_path()
    for name in modules:
        load_module(name)


def _record_json(r: Any, *, events: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": r.id,
        "saga": r.saga_name,
        "status": r.status.value,
        "owner": r.owner,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "error": r.error,
    }
    if events:
        data["context"] = r.context
        data["events"] = [
            {"at": e.at, "event": e.kind.value, "step": e.step, "attempt": e.attempt,
             "detail": e.detail}
            for e in r.events
        ]  # fmt: skip
    return data


def register(app: typer.Typer) -> None:
    """Add the ``rfs saga`` command group."""
    saga_app = typer.Typer(
        help="Saga executions: list, show, recover, purge.", no_args_is_help=True
    )
    app.add_typer(saga_app, name="saga")

    @saga_app.command("list")
    def list_(
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        prefix: str = typer.Option("rfs_saga_", "--table-prefix", help=PREFIX_HELP),
        status: list[str] | None = typer.Option(None, "--status", help="Only these statuses."),
        saga: str | None = typer.Option(None, "--saga", help="Only this saga."),
        limit: int = typer.Option(50, "--limit", min=1, help="At most this many, newest first."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """List executions, newest first."""
        from rfs.saga.records import SagaStatus

        try:
            wanted = [SagaStatus(s) for s in status] if status else None
        except ValueError as exc:
            choices = ", ".join(s.value for s in SagaStatus)
            raise UserError(f"--status: {exc}", f"use one of {choices}") from None
        records = _with_log(
            url,
            prefix,
            lambda log: log.list(status=wanted, saga_name=saga, limit=limit),
            read_only=True,
        )
        if as_json:
            echo_json([_record_json(r) for r in records])
            return
        rows = [
            [r.id, r.saga_name, _styled(r.status.value), _when(r.updated_at), r.error or ""]
            for r in records
        ]
        print_table(("execution", "saga", "status", "updated", "error"), rows, keep=(0, 2))

    @saga_app.command("show")
    def show(
        execution_id: str = typer.Argument(..., help="The execution id."),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        prefix: str = typer.Option("rfs_saga_", "--table-prefix", help=PREFIX_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Show one execution: status, context and every logged transition."""
        record = _with_log(url, prefix, lambda log: log.load(execution_id), read_only=True)
        if record is None:
            raise UserError(
                f"no saga execution {execution_id!r}", "see the ids with `rfs saga list`"
            )
        if as_json:
            echo_json(_record_json(record, events=True))
            return
        console = Console(soft_wrap=True)
        console.print(
            f"[bold]{record.saga_name}[/bold] {record.id}: {_styled(record.status.value)}"
            f" (owner {record.owner})"
        )
        if record.error:
            console.print(f"error: {record.error}")
        try:
            console.print(f"context: {json.dumps(record.context, default=repr)}")
        except (TypeError, ValueError):
            console.print(f"context: {record.context!r}")
        console.print(f"started {_when(record.created_at)}")
        rows = [
            [_dt.datetime.fromtimestamp(e.at).strftime("%H:%M:%S.%f")[:-3], e.kind.value,
             e.step or "", str(e.attempt or ""), e.detail or ""]
            for e in record.events
        ]  # fmt: skip
        print_table(("time", "event", "step", "attempt", "detail"), rows, keep=(0, 1))

    @saga_app.command("purge")
    def purge(
        older_than_days: float = typer.Option(
            ..., "--older-than-days", min=0, help="Finished executions older than this."
        ),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        prefix: str = typer.Option("rfs_saga_", "--table-prefix", help=PREFIX_HELP),
    ) -> None:
        """Delete finished executions (never running or compensating ones)."""
        deleted = _with_log(
            url, prefix, lambda log: log.purge(older_than_days * 86400), read_only=True
        )
        Console().print(f"deleted {deleted} finished executions")

    @saga_app.command("recover")
    def recover(
        modules: list[str] = typer.Option(
            [], "--import", "-i", help="Modules defining the sagas (importable from here)."
        ),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        prefix: str = typer.Option("rfs_saga_", "--table-prefix", help=PREFIX_HELP),
    ) -> None:
        """Finish executions interrupted by a crash: complete or fully compensate each."""
        _import(modules)
        outcome = _with_log(url, prefix, lambda log: log.recover(), read_only=True)
        console = Console()
        if outcome.is_failure():
            Console(stderr=True).print(f"[red]error:[/red] {outcome.error}")
            raise typer.Exit(1)
        report = outcome.value
        console.print(
            f"recovered {len(report.results)}: {len(report.completed)} completed,"
            f" {len(report.compensated)} compensated, {len(report.failed)} need attention;"
            f" {len(report.busy)} held by live processes"
        )
        for execution_id, result in report.results.items():
            if result.is_failure():
                console.print(f"  {execution_id}: {result.error}")
        if report.unknown:
            console.print(
                f"[yellow]{len(report.unknown)} executions of sagas not defined by the imported"
                f" modules (use --import):[/yellow] {', '.join(report.unknown[:10])}"
            )
        if report.mismatched:
            console.print(
                f"[yellow]{len(report.mismatched)} executions whose saga definition changed"
                f" since they were logged:[/yellow] {', '.join(report.mismatched[:10])}"
            )
        for execution_id in report.unreadable[:10]:
            console.print(
                f"[red]unreadable:[/red] {report.reasons.get(execution_id, execution_id)}"
            )
        if report.failed or report.unknown or report.mismatched or report.unreadable:
            raise typer.Exit(2)
