"""``rfs serve`` (scheduler, trigger API and health endpoints on uvicorn) and ``rfs scheduler``."""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any

import typer

from rfs.cli._common import JSON_HELP, UserError, echo_json, print_table
from rfs.cli._load import load_attr

if TYPE_CHECKING:
    from rfs.scheduler import Scheduler

TARGET_HELP = (
    "Where the scheduler is: 'module:attr' or 'path/to/file.py:attr', naming a Scheduler or a "
    "(sync or async) function returning one with its triggers registered."
)


async def load_scheduler(spec: str) -> Scheduler:
    """The Scheduler named by ``spec`` (calling and awaiting a factory if it is one)."""
    from rfs.scheduler import Scheduler

    found = load_attr(spec)
    if not isinstance(found, Scheduler) and callable(found):
        found = found()
        if inspect.isawaitable(found):
            found = await found
    if not isinstance(found, Scheduler):
        raise UserError(
            f"{spec!r} is not a Scheduler (got {type(found).__name__})",
            "name a Scheduler or a function returning one",
        )
    return found


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``scheduler list``."""

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
        from rfs._require import require

        uvicorn = require("web", "uvicorn", "rfs serve")
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
    def list_triggers(
        target: str = typer.Argument(..., help=TARGET_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """List the triggers with their next fire times."""

        async def collect() -> list[Any]:
            scheduler = await load_scheduler(target)
            return scheduler.list()

        infos = asyncio.run(collect())
        if as_json:
            echo_json(
                [
                    {
                        "name": i.name,
                        "kind": i.kind,
                        "schedule": i.description,
                        "target": i.target,
                        "next_fire_time": i.next_fire_time.isoformat()
                        if i.next_fire_time
                        else None,
                        "paused": i.paused,
                    }
                    for i in infos
                ]
            )
            return
        rows = [
            [
                i.name,
                i.kind,
                i.description,
                i.target,
                i.next_fire_time.strftime("%Y-%m-%d %H:%M:%S") if i.next_fire_time else "-",
                "yes" if i.paused else "",
            ]
            for i in infos
        ]
        headers = ("name", "kind", "schedule", "target", "next fire (UTC)", "paused")
        print_table(headers, rows, keep=(0, 2, 4))

    app.add_typer(group, name="scheduler")
