"""``rfs saga list|show|recover|purge``: inspect the saga log, finish interrupted executions."""

from __future__ import annotations

import asyncio
import datetime as _dt
import importlib
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

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


def _with_log(url: str | None, prefix: str, use: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``use(log)``; an unreachable log exits with status 1 and the reason."""
    from rfs.saga.errors import SagaLogError
    from rfs.saga.log import SagaLog

    async def run() -> T:
        log = SagaLog(url, table_prefix=prefix)
        try:
            return await use(log)
        finally:
            await log.close()

    try:
        return asyncio.run(run())
    except SagaLogError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


def _import(modules: list[str]) -> None:
    if "" not in sys.path:
        sys.path.insert(0, "")  # modules of the current directory, like `python -m`
    for name in modules:
        importlib.import_module(name)


def register(app: typer.Typer) -> None:
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
        limit: int = typer.Option(50, "--limit", help="At most this many, newest first."),
    ) -> None:
        """List executions, newest first."""
        from rfs.saga.records import SagaStatus

        try:
            wanted = [SagaStatus(s) for s in status] if status else None
        except ValueError as exc:
            choices = [s.value for s in SagaStatus]
            raise typer.BadParameter(f"{exc}; use one of {choices}") from exc
        records = _with_log(
            url, prefix, lambda log: log.list(status=wanted, saga_name=saga, limit=limit)
        )
        table = Table("saga", "status", "updated", "error")
        table.columns[0].overflow = "fold"
        table.add_column("execution", no_wrap=True)
        for r in records:
            table.add_row(
                r.saga_name,
                _styled(r.status.value),
                _when(r.updated_at),
                (r.error or "")[:60],
                r.id,
            )
        Console().print(table)

    @saga_app.command("show")
    def show(
        execution_id: str = typer.Argument(..., help="The execution id."),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        prefix: str = typer.Option("rfs_saga_", "--table-prefix", help=PREFIX_HELP),
    ) -> None:
        """Show one execution: status, context and every logged transition."""
        record = _with_log(url, prefix, lambda log: log.load(execution_id))
        console = Console()
        if record is None:
            Console(stderr=True).print(f"[red]no saga execution {execution_id!r}[/red]")
            raise typer.Exit(1)
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
        table = Table("time", "event", "step", "attempt", "detail")
        for e in record.events:
            table.add_row(
                _dt.datetime.fromtimestamp(e.at).strftime("%H:%M:%S.%f")[:-3],
                e.kind.value,
                e.step or "",
                str(e.attempt or ""),
                (e.detail or "")[:80],
            )
        console.print(table)

    @saga_app.command("purge")
    def purge(
        older_than_days: float = typer.Option(
            ..., "--older-than-days", min=0, help="Finished executions older than this."
        ),
        url: str | None = typer.Option(None, "--url", help=URL_HELP),
        prefix: str = typer.Option("rfs_saga_", "--table-prefix", help=PREFIX_HELP),
    ) -> None:
        """Delete finished executions (never running or compensating ones)."""
        deleted = _with_log(url, prefix, lambda log: log.purge(older_than_days * 86400))
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
        outcome = _with_log(url, prefix, lambda log: log.recover())
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
