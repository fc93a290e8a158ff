"""``rfs run``, ``rfs plan`` and ``rfs runs list|show``: pipelines from the command line."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from rfs.cli._common import (
    JSON_HELP,
    STORE_HELP,
    UserError,
    echo_json,
    print_table,
    secs_text,
    split_csv,
    styled_state,
)
from rfs.cli._load import load_module
from rfs.result import Result, Success

if TYPE_CHECKING:
    from rfs.pipeline.planner import ExecutionPlan
    from rfs.pipeline.results import RunResult
    from rfs.pipeline.store.base import RunStore

__all__ = ["STORE_HELP", "checked_plan", "register", "run_file"]


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

    async def publish(self, topic: str, event: Any, /) -> Result[None, Any]:
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
        return Success(None)


def print_summary(console: Console, result: RunResult, elapsed: float | None = None) -> None:
    """A table of every task: state, attempts, duration, detail; ``elapsed`` is this
    invocation's time (a resumed run's record counts from its first start)."""
    rows = []
    for name, t in result.tasks.items():
        detail = (t.error or "").splitlines()[0] if t.error else ""
        if t.stream_count is not None and not detail:
            detail = f"{t.stream_count} items streamed"
        if not t.executed:
            detail = detail or "done in an earlier attempt (resumed)"
        rows.append(
            [name, styled_state(t.state.value), str(t.attempts), secs_text(t.duration), detail]
        )
    title = f"Run {result.run_id} — {styled_state(result.state.value)}"
    print_table(("task", "state", "attempts", "duration", "detail"), rows, title=title)
    took = result.duration if elapsed is None else elapsed
    console.print(
        f"{len(result.succeeded)} succeeded, {len(result.failed)} failed, "
        f"{len(result.skipped)} skipped in {took:.2f} s"
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
    params: list[str] | None = None,
    params_file: str | None = None,
    console: Console | None = None,
) -> int:
    """Load, plan and run a pipeline with progress and a summary; return the exit code (0 ok,
    1 failed run). A user error raises :class:`UserError`."""
    from rfs.pipeline.executors import get_executor
    from rfs.pipeline.io.filesystem import FilesystemIOManager
    from rfs.pipeline.planner import PlanError
    from rfs.pipeline.runner import run_pipeline

    console = console or Console()
    store = _store(store_url)
    if resume is not None and target is None:
        from rfs.cli.runs import read_run

        previous = read_run(store_url, resume)
        target = previous.spec.get("source")
        tags = tags or previous.spec.get("tags")
        targets = targets or previous.spec.get("targets")
        if not target:
            raise UserError(f"run {resume!r} does not record its pipeline", "pass it")
    if target is None:
        raise UserError("no pipeline given", "pass a pipeline file or module (or --resume RUN_ID)")
    try:
        exe = get_executor(executor)
    except (ValueError, ImportError) as exc:
        raise UserError(f"--executor {executor}: {exc}") from None
    plan, run_params = checked_plan(target, tags, targets, params or [], params_file)
    print_plan(console, plan)
    progress = _Progress(console, len(plan))
    spec = {"source": target, "tags": tags, "targets": targets, "executor": executor}
    started = time.monotonic()

    async def go() -> Any:
        with progress.progress:
            try:
                return await run_pipeline(
                    plan,
                    executor=exe,
                    io_manager=FilesystemIOManager(outputs),
                    run_store=store,
                    max_concurrency=max_concurrency,
                    resume=resume,
                    publisher=progress,
                    spec=spec,
                    params=run_params,
                )
            finally:
                await store.close()

    try:
        outcome = asyncio.run(go())
    except PlanError as exc:
        raise UserError(_one_line(exc), "fix the pipeline or the options") from None
    elapsed = time.monotonic() - started
    if outcome.is_success():
        print_summary(console, outcome.unwrap(), elapsed)
        return 0
    error = outcome.error
    if error.result is not None:
        print_summary(console, error.result, elapsed)
    console.print(f"[red]{error}[/red]")
    if error.result is not None:
        console.print(f"resume with: rfs run --resume {error.run_id}")
    return 1


def _one_line(exc: BaseException) -> str:
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def checked_plan(
    target: str,
    tags: list[str] | None,
    targets: list[str] | None,
    params: list[str],
    params_file: str | None,
) -> tuple[ExecutionPlan, dict[str, dict[str, Any]]]:
    """Load and plan a pipeline and check its parameters as ``run_pipeline`` will, so ``plan``
    and ``run`` agree; nothing selected is a user error."""
    from rfs.cli._params import parse_params
    from rfs.pipeline.loader import registry_of
    from rfs.pipeline.planner import PlanError, Planner
    from rfs.pipeline.runner import check_params

    module = load_module(target)
    registry = registry_of(module)
    if not registry.names():
        raise UserError(f"{target} defines no @task", "decorate functions with @task")
    try:
        plan = Planner(registry).create_execution_plan(tags=tags, targets=targets)
    except (PlanError, ValueError, KeyError) as exc:
        raise UserError(_one_line(exc), "check --tags/--targets and the task definitions") from None
    if len(plan) == 0:
        what = f"tags {', '.join(tags)}" if tags else "the selection"
        known = sorted({t for n in registry.names() for t in registry.get(n).tags})
        raise UserError(
            f"no task of {target} matches {what}", f"known tags: {', '.join(known) or 'none'}"
        )
    run_params = parse_params(plan, params, params_file)
    try:
        check_params(plan, run_params)
    except PlanError as exc:
        raise UserError(_one_line(exc), "give it with --param task.name=value") from None
    return plan, run_params


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``plan`` to the ``rfs`` command."""
    tags_help = "Only tasks with one of these tags (repeatable or comma-separated)."
    targets_help = "Only these tasks and what they need (repeatable or comma-separated)."
    param_help = "A task argument task.name=value, or name=value for every task having it."
    file_help = 'JSON or TOML file of task arguments: {"task": {"name": value}}.'

    @app.command("run")
    def run_cmd(
        target: str = typer.Argument(None, help="Pipeline file (.py) or module name."),
        tags: list[str] = typer.Option(None, "--tags", help=tags_help),
        targets: list[str] = typer.Option(None, "--targets", help=targets_help),
        executor: str = typer.Option("local", "--executor", help="local, process or celery."),
        resume: str = typer.Option(None, "--resume", help="Finish the run with this id."),
        max_concurrency: int = typer.Option(
            None, "--max-concurrency", min=1, help="At most this many tasks at once."
        ),
        store: str = typer.Option(None, "--store", help=STORE_HELP),
        outputs: str = typer.Option(
            None, "--outputs", help="Output directory (default: outputs in the data dir)."
        ),
        param: list[str] = typer.Option(None, "--param", help=param_help),
        params_file: str = typer.Option(None, "--params-file", help=file_help),
    ) -> None:
        """Plan and run a pipeline with live progress; exit 1 if the run fails, 2 on a user
        error."""
        code = run_file(
            target,
            tags=split_csv(tags),
            targets=split_csv(targets),
            executor=executor,
            resume=resume,
            max_concurrency=max_concurrency,
            store_url=store,
            outputs=outputs,
            params=param or [],
            params_file=params_file,
        )
        raise typer.Exit(code)

    @app.command("plan")
    def plan_cmd(
        target: str = typer.Argument(..., help="Pipeline file (.py) or module name."),
        tags: list[str] = typer.Option(None, "--tags", help=tags_help),
        targets: list[str] = typer.Option(None, "--targets", help=targets_help),
        fmt: str = typer.Option("text", "--format", help="text, mermaid or dot."),
        param: list[str] = typer.Option(None, "--param", help=param_help),
        params_file: str = typer.Option(None, "--params-file", help=file_help),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        """Check a pipeline as ``rfs run`` would and print its levels, or a Mermaid / Graphviz
        graph."""
        if fmt not in ("text", "mermaid", "dot"):
            raise UserError(f"--format {fmt!r} is unknown", "use text, mermaid or dot")
        plan, _ = checked_plan(
            target, split_csv(tags), split_csv(targets), param or [], params_file
        )
        if as_json:
            echo_json(_plan_json(plan))
        elif fmt == "mermaid":
            typer.echo(plan.to_mermaid())
        elif fmt == "dot":
            typer.echo(plan.to_dot())
        else:
            print_plan(Console(), plan)
            typer.echo("")
            typer.echo(plan.to_mermaid())


def _plan_json(plan: ExecutionPlan) -> dict[str, Any]:
    tasks = []
    for name in plan.execution_order:
        info = plan.dag.nodes[name]
        tasks.append(
            {
                "name": name,
                "dependencies": list(info.dependencies),
                "tags": list(info.tags),
                "stream": info.is_stream,
                "fail_safe": info.fail_safe,
                "max_retries": info.max_retries,
                "parameters": info.parameters,
            }
        )
    return {
        "dag_id": plan.dag_id,
        "order": list(plan.execution_order),
        "levels": [list(level) for level in plan.parallel_levels],
        "tasks": tasks,
    }
