"""``rfs serve`` (scheduler, trigger API and health endpoints on uvicorn) and ``rfs scheduler``."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rfs.scheduler import Scheduler

TARGET_HELP = (
    "Where the scheduler is: 'module:attr' or 'path/to/file.py:attr', naming a Scheduler or a "
    "(sync or async) function returning one with its triggers registered."
)


def _import(spec: str) -> Any:
    module_name, sep, attr = spec.partition(":")
    if not sep or not attr:
        raise typer.BadParameter(f"{spec!r}: expected 'module:attr' or 'file.py:attr'")
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        if not path.exists():
            raise typer.BadParameter(f"{spec!r}: no file {path}")
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise typer.BadParameter(f"{spec!r}: cannot import {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module
        module_spec.loader.exec_module(module)
    else:
        sys.path.insert(0, os.getcwd())
        module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise typer.BadParameter(f"{spec!r}: {module_name} has no attribute {attr!r}") from None


async def load_scheduler(spec: str) -> Scheduler:
    """The Scheduler named by ``spec`` (calling and awaiting a factory if it is one)."""
    from rfs.scheduler import Scheduler

    found = _import(spec)
    if not isinstance(found, Scheduler) and callable(found):
        found = found()
        if inspect.isawaitable(found):
            found = await found
    if not isinstance(found, Scheduler):
        raise typer.BadParameter(f"{spec!r} is not a Scheduler (got {type(found).__name__})")
    return found


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        target: str = typer.Argument(..., help=TARGET_HELP),
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8000, help="Port to listen on."),
        token: str | None = typer.Option(
            None, envvar="RFS_SCHEDULER_TOKEN", help="Admin bearer token for the trigger API."
        ),
        max_body_size: int = typer.Option(
            1024 * 1024, min=0, help="Largest fire request body accepted, in bytes (else 413)."
        ),
        ui: bool = typer.Option(False, "--ui", help="Also serve the dashboard (/ui/, /ops)."),
    ) -> None:
        """Run a scheduler with its trigger API and /health endpoints on uvicorn."""
        import uvicorn

        from rfs.scheduler.api import create_app

        if ui and token is None:
            raise typer.BadParameter("--ui needs --token (or RFS_SCHEDULER_TOKEN)")

        async def run() -> None:
            scheduler = await load_scheduler(target)
            served = create_app(scheduler, token=token, max_body_size=max_body_size)
            if ui:
                from rfs.web.dashboard import mount_dashboard

                mount_dashboard(served, token=token, scheduler=scheduler, monitoring=True)
            config = uvicorn.Config(
                served,
                host=host,
                port=port,
                log_level="info",
            )
            await uvicorn.Server(config).serve()

        asyncio.run(run())

    group = typer.Typer(help="Inspect schedulers.", no_args_is_help=True)

    @group.command("list")
    def list_triggers(target: str = typer.Argument(..., help=TARGET_HELP)) -> None:
        """List the triggers with their next fire times."""
        from rich.console import Console
        from rich.table import Table

        async def collect() -> list[Any]:
            scheduler = await load_scheduler(target)
            return scheduler.list()

        infos = asyncio.run(collect())
        table = Table("name", "kind", "schedule", "target", "next fire (UTC)", "paused")
        for info in infos:
            nxt = info.next_fire_time.strftime("%Y-%m-%d %H:%M:%S") if info.next_fire_time else "-"
            table.add_row(
                info.name,
                info.kind,
                info.description,
                info.target,
                nxt,
                "yes" if info.paused else "",
            )
        Console(width=160).print(table)

    app.add_typer(group, name="scheduler")
