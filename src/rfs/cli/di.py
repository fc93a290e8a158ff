"""``rfs di check PACKAGE``: scan a package under a profile and report the wiring, for CI."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from rfs.cli._common import fail
from rfs.cli._load import ensure_cwd_on_path

__all__ = ["register"]

PROFILE_HELP = "Active profile(s), comma-separated (default: $RFS_PROFILE, else 'default')."


def check(
    package: str = typer.Argument(..., help="Package to scan, e.g. myservice."),
    profile: str | None = typer.Option(None, "--profile", "-p", help=PROFILE_HELP),
) -> None:
    """Validate the dependency graph of PACKAGE; exit 1 listing every problem found."""
    from rfs.di import Registry

    ensure_cwd_on_path()  # like `python -m` and uvicorn: find the project's packages
    console = Console()
    registry = Registry(profile=profile)
    try:
        registry.scan(package)
    except ModuleNotFoundError as exc:
        fix = "run from the folder holding the package, or install it"
        raise fail(f"cannot import {package!r}: {exc}; {fix}", 2) from exc
    except SyntaxError as exc:
        where = f"{exc.filename}:{exc.lineno}"
        raise fail(f"syntax error in {where}: {exc.msg}; fix the file", 2) from exc
    problems = registry.problems()
    table = Table(title=f"{package} under profile {registry.profile!r}")
    for column in ("name", "kind", "scope", "profiles", "provides"):
        table.add_column(column)
    for binding in registry.bindings():
        provides = ", ".join(
            getattr(k, "__name__", str(k)) for k in binding.keys if not isinstance(k, str)
        )
        profiles = ", ".join(binding.profiles) if binding.profiles else "any"
        table.add_row(binding.name, binding.kind, binding.scope.value, profiles, provides)
    console.print(table)
    if problems:
        console.print(f"[red]{len(problems)} problem(s):[/red]")
        for number, problem in enumerate(problems, start=1):
            console.print(f"  {number}. [bold]{type(problem).__name__}[/bold]: {problem}")
        raise typer.Exit(1)
    console.print("[green]wiring OK[/green]")


def register(app: typer.Typer) -> None:
    """Add the ``rfs di`` command group."""
    group = typer.Typer(
        help="Dependency injection: check a package's wiring.", no_args_is_help=True
    )
    group.command("check")(check)
    app.add_typer(group, name="di")
