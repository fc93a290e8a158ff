"""What every ``rfs`` command shares: user errors (exit 2), ``--debug``, ``--json``, tables.

A user error prints one line on stderr naming the problem and the fix and exits 2; a failed run
exits 1; a traceback appears only with ``--debug`` (or ``RFS_DEBUG=1``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import typer

__all__ = [
    "JSON_HELP",
    "STORE_HELP",
    "UserError",
    "debug_enabled",
    "echo_json",
    "guarded",
    "print_table",
    "secs_text",
    "set_debug",
    "split_csv",
    "styled_state",
    "when_text",
]

F = TypeVar("F", bound=Callable[..., Any])

JSON_HELP = "Print JSON on stdout instead of a table."

_state = {"debug": False}


class UserError(Exception):
    """A mistake the user can fix: shown as ``error: PROBLEM; FIX`` on stderr, exit status 2."""

    exit_code = 2

    def __init__(self, problem: str, fix: str | None = None) -> None:
        super().__init__(problem if fix is None else f"{problem}; {fix}")


def set_debug(on: bool) -> None:
    """Show tracebacks instead of one-line errors."""
    _state["debug"] = on


def debug_enabled() -> bool:
    return _state["debug"] or os.environ.get("RFS_DEBUG", "") not in ("", "0")


def fail(message: str, code: int) -> typer.Exit:
    """Print ``error: message`` on stderr; the caller raises the returned ``Exit``."""
    line = " ".join(message.split())
    typer.echo(f"error: {line}", err=True)
    return typer.Exit(code)


def guarded(callback: F) -> F:
    """Wrap a command: user errors and missing extras exit 2, other exceptions exit 1, each as
    one line on stderr (the traceback with ``--debug``)."""
    from rfs._require import MissingExtraError

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except (UserError, MissingExtraError) as exc:
            if debug_enabled():
                raise
            raise fail(str(exc), 2) from exc
        except Exception as exc:
            from typer.exceptions import TyperException

            if isinstance(exc, TyperException) or debug_enabled():
                raise
            message = f"{type(exc).__name__}: {exc} (run with --debug for the traceback)"
            raise fail(message, 1) from exc

    return wrapper  # type: ignore[return-value]


def echo_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (datetimes and other objects as strings)."""
    typer.echo(json.dumps(value, indent=2, default=str, ensure_ascii=False))


def _plain_width(cell: str) -> int:
    from rich.text import Text

    text = Text.from_markup(cell)
    return max((len(line) for line in text.plain.splitlines()), default=0)


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    keep: Sequence[int] = (0,),
    title: str | None = None,
    width: int | None = None,
) -> None:
    """A rich table on stdout where the columns in ``keep`` (ids) are never cut: the other
    columns wrap to fit the terminal; if even that cannot fit, the table is printed wider."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=width) if width else Console()
    natural = [
        max([_plain_width(h), *(_plain_width(r[i]) for r in rows)]) for i, h in enumerate(headers)
    ]
    extra = 3 * len(headers) + 1  # borders and one space of padding on each side
    budget = console.width - extra - sum(natural[i] for i in keep)
    others = [i for i in range(len(headers)) if i not in keep]
    limits = _share(budget, [natural[i] for i in others])
    if limits is None:  # not even 3 characters per column: widen instead of cutting ids
        console = Console(width=extra + sum(natural) + 1, force_terminal=console.is_terminal)
        limits = [natural[i] for i in others]
    table = Table(title=title)
    for i, header in enumerate(headers):
        if i in keep:
            table.add_column(header, no_wrap=True, min_width=natural[i])
        else:
            table.add_column(header, overflow="fold", max_width=max(limits[others.index(i)], 1))
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _share(budget: int, wanted: list[int]) -> list[int] | None:
    """Split ``budget`` over columns wanting ``wanted`` widths: small ones get theirs, the rest
    an equal share (water-filling); ``None`` if that leaves under 3 characters a column."""
    if sum(wanted) <= budget:
        return wanted
    if not wanted or budget < 3 * len(wanted):
        return None
    limits = list(wanted)
    pending = sorted(range(len(wanted)), key=lambda i: wanted[i])
    left = budget
    while pending:
        share = left // len(pending)
        i = pending[0]
        if wanted[i] <= share:
            left -= wanted[i]
            pending.pop(0)
            continue
        for j in pending:
            limits[j] = share
        break
    return limits


STORE_HELP = "Run store URL (default: $RFS_RUN_STORE_URL, else .rfs/runs.db)."

_STATE_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "timed_out": "red",
    "skipped": "yellow",
    "running": "cyan",
    "retrying": "magenta",
    "pending": "dim",
}


def split_csv(values: list[str] | None) -> list[str] | None:
    """Repeated and comma-separated option values as one list (``None`` when empty)."""
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def when_text(ts: float | None) -> str:
    """A timestamp as local date and time, ``-`` when unset."""
    if ts is None:
        return "-"
    return _dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def secs_text(value: float | None) -> str:
    """A duration in ms below a second, else in seconds."""
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def styled_state(state: str) -> str:
    """A run or task state in its rich colour."""
    style = _STATE_STYLE.get(state, "white")
    return f"[{style}]{state}[/{style}]"
