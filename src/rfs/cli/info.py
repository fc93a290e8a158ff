"""``rfs info``: which optional backends import, which local servers answer, which plugins."""

from __future__ import annotations

import importlib.util
import socket

import typer

# extra -> the module its adapter imports
OPTIONAL_BACKENDS: dict[str, str] = {
    "postgres": "asyncpg",
    "redis": "redis",
    "nats": "nats",
    "rabbitmq": "aio_pika",
    "kafka": "aiokafka",
    "celery": "celery",
    "web": "fastapi",
    "fsspec": "fsspec",
}

LOCAL_SERVERS: dict[str, tuple[str, int]] = {
    "postgresql": ("127.0.0.1", 5432),
    "redis": ("127.0.0.1", 6379),
    "rabbitmq": ("127.0.0.1", 5672),
    "nats": ("127.0.0.1", 4222),
}


def backend_installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    return importlib.util.find_spec(module) is not None


def server_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def speedups_loaded() -> bool:
    """Whether the C fast path of ``rfs.result`` is in use (else pure Python, ~4x slower)."""
    from rfs.result import SPEEDUPS

    return SPEEDUPS


def register(app: typer.Typer) -> None:
    """Add ``info``."""

    @app.command()
    def info() -> None:
        """Show the version, the C fast path, optional backends and local servers."""
        from rich.console import Console
        from rich.table import Table

        import rfs

        console = Console()
        console.print(f"[bold]rfs[/bold] {rfs.__version__}")
        if speedups_loaded():
            console.print("C fast path: [green]loaded[/green]")
        else:
            console.print(
                "C fast path: [yellow]not built[/yellow] (pure Python; reinstall with a C"
                " compiler for a ~4x faster Result chain)"
            )
        backends = Table("extra", "module", "installed", title="Optional backends")
        for extra, module in OPTIONAL_BACKENDS.items():
            ok = backend_installed(module)
            backends.add_row(extra, module, "[green]yes[/green]" if ok else "[red]no[/red]")
        console.print(backends)
        servers = Table("server", "address", "answers", title="Local servers")
        for name, (host, port) in LOCAL_SERVERS.items():
            ok = server_answers(host, port)
            servers.add_row(name, f"{host}:{port}", "[green]yes[/green]" if ok else "[red]no[/red]")
        console.print(servers)
        from rfs.plugins import installed_plugins

        plugins = Table("plugin", "target", "distribution", title="Installed plugins (rfs.plugins)")
        for name, target, dist, version in installed_plugins():
            plugins.add_row(name, target, f"{dist or '?'} {version or ''}".strip())
        console.print(plugins if plugins.row_count else "no installed plugins (rfs.plugins)")
