"""``rfs coldstart TARGET``: an application's cold start, measured in fresh processes."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from rfs.serverless.measure import ColdStartReport

__all__ = ["register"]


def _ms(us: float) -> str:
    return f"{us / 1000:,.1f} ms"


def register(app: typer.Typer) -> None:
    @app.command()
    def coldstart(
        target: str = typer.Argument(
            ..., help="module[:attr] or file.py[:attr]; an ASGI app is served one request."
        ),
        runs: int = typer.Option(5, "--runs", "-n", help="Fresh processes to time."),
        path: str = typer.Option("/", "--path", help="Request path for an ASGI application."),
        top: int = typer.Option(15, "--top", help="Top-level imports to list."),
        python: str | None = typer.Option(None, "--python", help="Interpreter to run."),
        timeout: float = typer.Option(60.0, "--timeout", help="Seconds a run may take."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Time process start → ready (median, p90) and list imports by cost."""
        from rich.console import Console
        from rich.markup import escape

        from rfs.result import Failure
        from rfs.serverless.measure import measure_cold_start

        err = Console(stderr=True)
        if runs < 1 or top < 0 or timeout <= 0:
            err.print("[red]error:[/red] --runs must be >= 1, --top >= 0, --timeout > 0")
            raise typer.Exit(2)
        outcome = measure_cold_start(target, runs=runs, path=path, python=python, timeout=timeout)
        if isinstance(outcome, Failure):
            problem = outcome.error
            err.print(f"[red]error:[/red] {escape(str(problem))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2 if problem.kind == "usage" else 1)
        report = outcome.value
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            err.print("note: PYTHONDONTWRITEBYTECODE is set, so every start compiled its modules")
        if as_json:
            typer.echo(json.dumps(report.to_dict(top), indent=2))
            return
        _render(Console(), report, top)


def _render(console: Console, report: ColdStartReport, top: int) -> None:
    from rich.table import Table

    console.print(f"[bold]{report.target}[/bold]: {len(report.runs)} runs, ready = {report.ready}")
    line = f"time to ready: median {_ms(report.median * 1e6)}, p90 {_ms(report.p90 * 1e6)}"
    if report.baseline_median is not None:
        line += f" (bare interpreter {_ms(report.baseline_median * 1e6)})"
    console.print(line)
    if report.imports:
        total = report.import_us or 1
        table = Table("module", "cumulative", "self", "share", title="Imports by cost")
        for node in report.top_imports(top):
            table.add_row(
                node.name,
                _ms(node.cumulative_us),
                _ms(node.self_us),
                f"{node.cumulative_us / total:.0%}",
            )
            for child in sorted(node.children, key=lambda n: -n.cumulative_us)[:3]:
                table.add_row(
                    f"  └ {child.name}",
                    _ms(child.cumulative_us),
                    _ms(child.self_us),
                    f"{child.cumulative_us / total:.0%}",
                )
        console.print(table)
    if report.suggestions:
        console.print("[bold]Could be imported lazily[/bold] (inside the function that needs it):")
        for node in report.suggestions:
            console.print(f"  {node.name}: {_ms(node.cumulative_us)} at startup")
    else:
        console.print("No heavy third-party import made by the application at startup.")
