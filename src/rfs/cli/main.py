"""Entry point of the ``rfs`` command.

Each subsystem contributes its commands from its own module ``rfs.cli.<name>``, which defines
``register(app: typer.Typer) -> None``; list the module in ``SUBSYSTEM_MODULES`` below.
"""

from __future__ import annotations

import importlib

import typer

import rfs

# Modules under rfs.cli that add commands; order is the order in ``rfs --help``.
SUBSYSTEM_MODULES: tuple[str, ...] = ("info", "pipeline", "worker", "saga", "scheduler", "di")
SUBSYSTEM_MODULES += ("coldstart",)
SUBSYSTEM_MODULES += ("ui",)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rfs {rfs.__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Create the typer application with every subsystem's commands registered."""
    app = typer.Typer(
        name="rfs",
        help="RFS: Result-first services and data pipelines.",
        no_args_is_help=True,
        add_completion=False,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        """RFS: Result-first services and data pipelines."""

    for name in SUBSYSTEM_MODULES:
        importlib.import_module(f"rfs.cli.{name}").register(app)
    return app


def main() -> None:
    build_app()()
