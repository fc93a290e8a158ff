"""Entry point of the ``rfs`` command.

Each subsystem contributes its commands from its own module ``rfs.cli.<name>``, which defines
``register(app: typer.Typer) -> None``; list the module in ``SUBSYSTEM_MODULES`` below. Every
command is wrapped by :func:`rfs.cli._common.guarded`: a user error is one line on stderr and
exit status 2, a failed run exits 1, ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

import rfs
from rfs.cli._common import guarded, set_debug

# Modules under rfs.cli that add commands; order is the order in ``rfs --help``.
SUBSYSTEM_MODULES: tuple[str, ...] = (
    "info",
    "pipeline",
    "runs",
    "worker",
    "saga",
    "scheduler",
    "di",
)
SUBSYSTEM_MODULES += ("coldstart",)
SUBSYSTEM_MODULES += ("ui",)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rfs {rfs.__version__}")
        raise typer.Exit()


def _plain_metavars(callback: object) -> None:
    """``--tags TAGS`` instead of typer's ``<list[str]>``; flags show no metavar."""
    import inspect

    from typer.models import ParameterInfo

    for name, parameter in inspect.signature(callback).parameters.items():  # type: ignore[arg-type]
        info = parameter.default
        if isinstance(info, ParameterInfo) and info.metavar is None:
            info.metavar = "" if isinstance(info.default, bool) else name.upper()


def _wrap_commands(app: typer.Typer) -> None:
    for command in app.registered_commands:
        if command.callback is not None:
            _plain_metavars(command.callback)
            command.callback = guarded(command.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _wrap_commands(group.typer_instance)


def build_app() -> typer.Typer:
    """Create the typer application with every subsystem's commands registered."""
    app = typer.Typer(
        name="rfs",
        help="RFS: Result-first services and data pipelines.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
        debug: bool = typer.Option(
            False, "--debug", help="Show the traceback of an error (also RFS_DEBUG=1)."
        ),
    ) -> None:
        """RFS: Result-first services and data pipelines."""
        set_debug(debug)

    for name in SUBSYSTEM_MODULES:
        importlib.import_module(f"rfs.cli.{name}").register(app)
    _wrap_commands(app)
    return app


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``rfs``; a usage error is one line on stderr (exit 2). ``--debug`` may come anywhere
    on the command line."""
    from typer.exceptions import TyperException

    args = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in args:  # accept it after the command too: `rfs run x.py --debug`
        args.remove("--debug")
        args.insert(0, "--debug")
    command = typer.main.get_command(build_app())
    try:
        code = command.main(args, prog_name="rfs", standalone_mode=False)
    except TyperException as exc:
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        typer.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
