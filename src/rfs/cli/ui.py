"""``rfs ui``: the operations dashboard and ops API on uvicorn, over the default stores."""

from __future__ import annotations

import secrets

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def ui(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8765, help="Port to listen on."),
        run_store: str | None = typer.Option(
            None, envvar="RFS_RUN_STORE_URL", help="Run store URL (default: .rfs/runs.db)."
        ),
        saga_log: str | None = typer.Option(
            None, envvar="RFS_SAGA_LOG_URL", help="Saga log URL (default: the saga default)."
        ),
        token: str | None = typer.Option(
            None, envvar="RFS_UI_TOKEN", help="Bearer token for the ops API (default: random)."
        ),
    ) -> None:
        """Serve the operations dashboard at /ui/ and the ops API at /ops."""
        import uvicorn

        from rfs.pipeline.store.sql import SqlRunStore
        from rfs.saga.log import SagaLog
        from rfs.web.dashboard import create_app

        token = token or secrets.token_urlsafe(24)
        app = create_app(
            token=token, run_store=SqlRunStore(run_store), saga_store=SagaLog(saga_log)
        )
        typer.echo(f"dashboard: http://{host}:{port}/ui/#token={token}")
        uvicorn.run(app, host=host, port=port, log_level="info")
