"""``rfs run``, ``rfs plan`` and ``rfs runs list|show``: pipelines from the command line."""

from __future__ import annotations

import asyncio
import datetime as _dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from rfs.pipeline.planner import ExecutionPlan
    from rfs.pipeline.results import RunResult
    from rfs.pipeline.store.base import RunStore

__all__ = ["register", "run_file"]

T = TypeVar("T")

_STATE_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "timed_out": "red",
    "skipped": "yellow",
    "running": "cyan",
    "retrying": "magenta",
    "pending": "dim",
}


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return _dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _styled(state: str) -> str:
    style = _STATE_STYLE.get(state, "white")
    return f"[{style}]{state}[/{style}]"


def print_plan(console: Console, plan: ExecutionPlan) -> None:
    """The plan as numbered parallel levels."""
    levels = plan.parallel_levels
    console.print(
        f"[bold]Plan[/bold] dag_id={plan.dag_id}: {len(plan)} tasks in {len(levels)} levels"
    )
    for i, level in enumerate(levels, 1):
        names = []
        for name in level:
            info = plan.dag.nodes[name]
            marks = [
                m for m, on in (("stream", info.is_stream), ("fail_safe", info.fail_safe)) if on
            ]
            if info.max_retries:
                marks.append(f"retries={info.max_retries}")
            names.append(name + (f" [dim]({', '.join(marks)})[/dim]" if marks else ""))
        console.print(f"  {i}. " + ", ".join(names))


class _Progress:
    """A publisher that turns lifecycle events into a live rich progress line."""

    def __init__(self, console: Console, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.total = total
        self.bar = self.progress.add_task("starting", total=total)
        self.running: set[str] = set()
        self.done = 0
        self.failed = 0
        self.skipped = 0
        self.retries = 0
        self.console = console

    def _refresh(self) -> None:
        parts = [f"done {self.done}", f"running {len(self.running)}"]
        if self.failed:
            parts.append(f"[red]failed {self.failed}[/red]")
        if self.skipped:
            parts.append(f"[yellow]skipped {self.skipped}[/yellow]")
        if self.retries:
            parts.append(f"[magenta]retries {self.retries}[/magenta]")
        now = ", ".join(sorted(self.running)[:3])
        desc = " · ".join(parts) + (f" [dim]({now})[/dim]" if now else "")
        finished = self.done + self.failed + self.skipped
        self.progress.update(self.bar, description=desc, completed=finished)

    async def publish(self, topic: str, event: Any, /) -> None:
        data = getattr(event, "data", {}) or {}
        task = data.get("task")
        kind = topic.rsplit(".", 1)[-1]
        if topic == "pipeline.run.started":
            reused = data.get("reused") or []
            self.done += len(reused)
            if reused:
                self.progress.console.print(f"resuming: {len(reused)} task(s) already done")
        elif kind == "started" and task:
            self.running.add(task)
        elif kind == "succeeded" and task:
            self.running.discard(task)
            self.done += 1
        elif kind == "failed" and task:
            self.running.discard(task)
            self.failed += 1
            note = " (fail_safe: the run goes on)" if data.get("fail_safe") else ""
            self.progress.console.print(f"[red]✗ {task}[/red]: {data.get('error')}{note}")
        elif kind == "retrying" and task:
            self.running.discard(task)
            self.retries += 1
            self.progress.console.print(
                f"[magenta]↻ {task}[/magenta] attempt {data.get('attempt')} failed: "
                f"{data.get('error')}; retrying in {data.get('delay', 0):.2f}s"
            )
        elif kind == "skipped" and task:
            self.skipped += 1
        self._refresh()


def print_summary(console: Console, result: RunResult) -> None:
    """A table of every task: state, attempts, duration, detail."""
    table = Table(title=f"Run {result.run_id} — {_styled(result.state.value)}")
    for col in ("task", "state", "attempts", "duration", "detail"):
        table.add_column(col, justify="right" if col in ("attempts", "duration") else "left")
    for name, t in result.tasks.items():
        detail = (t.error or "").splitlines()[0] if t.error else ""
        if t.stream_count is not None and not detail:
            detail = f"{t.stream_count} items streamed"
        if not t.executed:
            detail = detail or "done in an earlier attempt (resumed)"
        table.add_row(name, _styled(t.state.value), str(t.attempts), _secs(t.duration), detail)
    console.print(table)
    console.print(
        f"{len(result.succeeded)} succeeded, {len(result.failed)} failed, "
        f"{len(result.skipped)} skipped in {result.duration:.2f} s"
    )


def _store(url: str | None) -> RunStore:
    from rfs.pipeline.store.sql import SqlRunStore

    return SqlRunStore(url)


def run_file(
    target: str | None,
    *,
    tags: list[str] | None = None,
    targets: list[str] | None = None,
    executor: str = "local",
    resume: str | None = None,
    max_concurrency: int | None = None,
    store_url: str | None = None,
    outputs: str | None = None,
    console: Console | None = None,
) -> int:
    """Load, plan and run a pipeline with progress and a summary; return the exit code."""
    from rfs.pipeline.io.filesystem import FilesystemIOManager
    from rfs.pipeline.planner import PlanError
    from rfs.pipeline.runner import run_pipeline

    console = console or Console()
    store = _store(store_url)
    if resume is not None and target is None:
        previous = _read(store, lambda s: s.get_run(resume))
        if previous is None:
            console.print(f"[red]no run {resume!r} in {store!r}[/red]")
            return 1
        target = previous.spec.get("source")
        tags = tags or previous.spec.get("tags")
        targets = targets or previous.spec.get("targets")
        if not target:
            console.print(f"[red]run {resume!r} does not record its pipeline; pass it[/red]")
            return 2
    if target is None:
        console.print("[red]give a pipeline file or module (or --resume RUN_ID)[/red]")
        return 2
    plan = _plan(console, target, tags, targets)
    if plan is None:
        return 2
    print_plan(console, plan)
    progress = _Progress(console, len(plan))
    spec = {"source": target, "tags": tags, "targets": targets, "executor": executor}

    async def go() -> Any:
        with progress.progress:
            try:
                return await run_pipeline(
                    plan,
                    executor=executor,
                    io_manager=FilesystemIOManager(outputs),
                    run_store=store,
                    max_concurrency=max_concurrency,
                    resume=resume,
                    publisher=progress,
                    spec=spec,
                )
            finally:
                await store.close()

    try:
        outcome = asyncio.run(go())
    except PlanError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    if outcome.is_success():
        print_summary(console, outcome.unwrap())
        return 0
    error = outcome.error
    if error.result is not None:
        print_summary(console, error.result)
    console.print(f"[red]{error}[/red]")
    if error.result is not None:
        console.print(f"resume with: rfs run --resume {error.run_id}")
    return 1


def _read(store: RunStore, read: Callable[[RunStore], Awaitable[T]]) -> T:
    """One read from ``store`` in its own event loop; the store is closed after it."""

    async def go() -> T:
        try:
            return await read(store)
        finally:
            await store.close()

    return asyncio.run(go())


def _plan(console: Console, target: str, tags: Any, targets: Any) -> ExecutionPlan | None:
    """Load a pipeline and plan it, or print why it cannot be planned and return ``None``."""
    from rfs.pipeline.loader import load_pipeline, registry_of
    from rfs.pipeline.planner import PlanError, Planner

    try:
        module = load_pipeline(target)
        return Planner(registry_of(module)).create_execution_plan(tags=tags, targets=targets)
    except (PlanError, ImportError, FileNotFoundError, ValueError, TypeError) as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        return None


def register(app: typer.Typer) -> None:
    """Add ``run``, ``plan`` and ``runs`` to the ``rfs`` command."""
    store_opt = typer.Option(None, "--store", help="Run store URL (default RFS_RUN_STORE_URL).")

    @app.command("run")
    def run_cmd(
        target: str = typer.Argument(None, help="Pipeline file (.py) or module name."),
        tags: list[str] = typer.Option(None, "--tags", help="Run tasks with these tags."),
        targets: list[str] = typer.Option(None, "--targets", help="Run these and upstream."),
        executor: str = typer.Option("local", "--executor", help="local, process or celery."),
        resume: str = typer.Option(None, "--resume", help="Finish the run with this id."),
        max_concurrency: int = typer.Option(None, "--max-concurrency", min=1),
        store: str = store_opt,
        outputs: str | None = typer.Option(None, "--outputs", help="Output dir (.rfs/outputs)."),
    ) -> None:
        """Plan and run a pipeline with live progress; exit 1 if the run fails."""
        code = run_file(
            target,
            tags=_split(tags),
            targets=_split(targets),
            executor=executor,
            resume=resume,
            max_concurrency=max_concurrency,
            store_url=store,
            outputs=outputs,
        )
        raise typer.Exit(code)

    @app.command("plan")
    def plan_cmd(
        target: str = typer.Argument(..., help="Pipeline file (.py) or module name."),
        tags: list[str] = typer.Option(None, "--tags"),
        targets: list[str] = typer.Option(None, "--targets"),
        fmt: str = typer.Option("text", "--format", help="text, mermaid or dot."),
    ) -> None:
        """Check a pipeline and print its levels, or a Mermaid / Graphviz graph."""
        console = Console()
        if fmt not in ("text", "mermaid", "dot"):
            raise typer.BadParameter("use text, mermaid or dot", param_hint="--format")
        plan = _plan(console, target, _split(tags), _split(targets))
        if plan is None:
            raise typer.Exit(2)
        if fmt == "mermaid":
            typer.echo(plan.to_mermaid())
        elif fmt == "dot":
            typer.echo(plan.to_dot())
        else:
            print_plan(console, plan)
            typer.echo("")
            typer.echo(plan.to_mermaid())

    runs = typer.Typer(help="Inspect recorded pipeline runs.", no_args_is_help=True)
    app.add_typer(runs, name="runs")

    @runs.command("list")
    def runs_list(limit: int = typer.Option(20, "--limit", min=1), store: str = store_opt) -> None:
        """The latest runs, newest first."""
        records = _read(_store(store), lambda s: s.list_runs(limit))
        table = Table(title="Pipeline runs")
        for col in ("run id", "state", "started", "duration", "dag id", "source"):
            table.add_column(col)
        for r in records:
            table.add_row(
                r.run_id,
                _styled(r.state.value),
                _when(r.started_at),
                _secs(r.duration),
                r.dag_id,
                str(r.spec.get("source") or ""),
            )
        Console().print(table)

    @runs.command("show")
    def runs_show(run_id: str = typer.Argument(...), store: str = store_opt) -> None:
        """One run: its tasks and every attempt."""
        console = Console()
        found = _read(_store(store), lambda s: _show(s, run_id))
        if found is None:
            console.print(f"[red]no run {run_id!r}[/red]")
            raise typer.Exit(1)
        run, attempts = found
        console.print(
            f"[bold]{run.run_id}[/bold] {_styled(run.state.value)} dag_id={run.dag_id} "
            f"started {_when(run.started_at)} duration {_secs(run.duration)}"
        )
        if run.error:
            console.print(f"[red]{run.error}[/red]")
        tasks = Table(title="Tasks")
        for col in ("task", "state", "attempts", "duration", "error"):
            tasks.add_column(col)
        for t in run.tasks:
            err = (t.error or "").splitlines()[0] if t.error else ""
            tasks.add_row(
                t.task_name, _styled(t.state.value), str(t.attempts), _secs(t.duration), err
            )
        console.print(tasks)
        table = Table(title="Attempts")
        for col in ("task", "attempt", "state", "started", "duration", "error"):
            table.add_column(col)
        for a in attempts:
            err = (a.error or "").splitlines()[0] if a.error else ""
            table.add_row(
                a.task_name, str(a.attempt), _styled(a.state.value), _when(a.started_at),
                _secs(a.duration), err,
            )  # fmt: skip
        console.print(table)


async def _show(store: RunStore, run_id: str) -> tuple[Any, list[Any]] | None:
    run = await store.get_run(run_id)
    if run is None:
        return None
    return run, await store.list_attempts(run_id)
