"""``muster sweep`` and ``muster sweeps``: sweep sites now, and read past sweeps.

``muster sweep --format json`` (what scripts and the benchmark run) draws no
progress bars and loads no rich.
"""

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from muster.cli.common import console, error_console, loading, new_app, open_database
from muster.cli.output import check_format, render

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

sweeps_app = new_app("Past and running sweeps: counts, errors, progress.")


class RichProgress:
    """Shows a sweep's stages as progress bars with an ETA."""

    def __init__(self, progress: "Progress", site: str) -> None:
        self.progress = progress
        self.site = site
        self.task: TaskID | None = None
        self.alive = 0

    def stage(self, name: str, total: int) -> None:
        if self.task is not None:
            self.progress.update(self.task, completed=self.progress.tasks[-1].total)
        self.task = self.progress.add_task(f"{self.site} {name}", total=total, alive=self.alive)

    def advance(self, count: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, count)

    def found(self, alive: int, observations: int) -> None:
        self.alive = alive
        if self.task is not None:
            self.progress.update(self.task, alive=alive)


def sweep_command(
    ctx: typer.Context,
    site: list[str] = typer.Option([], "--site", help="Sweep this site (its code); repeatable."),
    all_sites: bool = typer.Option(
        False, "--all", help="Sweep every site with subnets, highest priority first."
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        envvar="MUSTER_CONFIG",
        help="Apply this TOML configuration into the CMDB first.",
    ),
    target: list[str] = typer.Option(
        [], "--target", help="Only these addresses (each still checked against the scope)."
    ),
    techniques: str | None = typer.Option(
        None, "--techniques", help="Comma list instead of the site's, e.g. arp,icmp,tcp."
    ),
    timeout: float = typer.Option(1.0, "--timeout", min=0.05, help="Seconds to wait per probe."),
    retries: int = typer.Option(1, "--retries", min=0, help="Tries again after a time-out."),
    concurrency: int = typer.Option(
        128, "--concurrency", min=1, help="Connections and probes in flight at once."
    ),
    output_format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Sweep sites now: find what answers in their subnets and put it in the CMDB.

    Sends packets only inside each site's subnets minus its exclusions, at the
    site's packet-rate limit. Stopping it (Ctrl-C) keeps what was found; the
    sweep is then recorded as interrupted.
    """
    with loading():
        from muster.cmdb.errors import ConfigurationError
        from muster.collector.service import sweep_order

        if not site and not all_sites:
            raise ConfigurationError("say which sites to sweep: --site CODE (repeatable) or --all")
        database = open_database(ctx)
    if config is not None:
        _apply(database, config)
    with database.session() as session:
        codes = sweep_order(session, site, all_sites=all_sites)
    chosen = techniques.split(",") if techniques else None
    results = []
    for code in codes:
        results.append(
            _sweep_one(
                database,
                code,
                targets=target or None,
                techniques=chosen,
                options={"timeout": timeout, "retries": retries, "concurrency": concurrency},
                show_progress=output_format != "json",
            )
        )
        if results[-1]["status"] == "interrupted":
            break
    _report(results, output_format)
    if any(r["status"] == "interrupted" for r in results):
        error_console.print("sweep interrupted: what was found is kept")
        raise typer.Exit(130)


def _apply(database: Any, config: Path) -> None:
    from muster.collector.config import apply_config, load_config

    loaded = load_config(config)
    with database.session(writer=True) as session:
        apply_config(session, loaded)


def _sweep_one(
    database: Any,
    code: str,
    *,
    targets: list[str] | None,
    techniques: list[str] | None,
    options: dict[str, Any],
    show_progress: bool,
) -> dict[str, Any]:
    from muster.collector.service import prepare_plan
    from muster.collector.sweep import Sweeper

    with loading():  # planning loads the techniques' modules
        plan = prepare_plan(database, code, targets=targets, techniques=techniques, **options)
    with _progress_bars(show_progress) as progress:
        sweeper = Sweeper(
            database, plan, progress=RichProgress(progress, code) if progress else None
        )
        status = "completed"
        try:
            result = _run_cancellable(sweeper)
        except KeyboardInterrupt:
            status = "interrupted"
            result = None
    if result is None:
        return {"site": code, "status": status, "sweep": sweeper.sweep_id, "alive": None}
    return {
        "site": code,
        "sweep": result.sweep_id,
        "status": result.status,
        "targets": len(plan.targets),
        "alive": len(result.alive),
        "observations": result.observations,
        "techniques": plan.techniques,
        "errors": result.errors,
    }


@contextlib.contextmanager
def _progress_bars(show: bool) -> Iterator["Progress | None"]:
    """Progress bars on the console while the sweep runs, or None when not shown."""
    if not show:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[alive]} alive"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        yield progress


def _run_cancellable(sweeper: Any) -> Any:
    """Run a sweep; SIGTERM and Ctrl-C both stop it the same way."""

    async def main() -> Any:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await sweeper.run()
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None

    return asyncio.run(main())


def _report(results: list[dict[str, Any]], output_format: str) -> None:
    import json

    if output_format == "json":
        typer.echo(json.dumps(results, indent=2))
        return
    from rich.table import Table

    table = Table(title="sweeps")
    for column in ("site", "sweep", "status", "targets", "alive", "observations", "errors"):
        table.add_column(column)
    for r in results:
        table.add_row(
            r["site"],
            str(r.get("sweep") or ""),
            r["status"],
            str(r.get("targets", "")),
            str(r.get("alive", "")),
            str(r.get("observations", "")),
            str(len(r.get("errors", []))),
        )
    console.print(table)
    for r in results:
        for line in r.get("errors", [])[:20]:
            console.print(f"[yellow]{r['site']}[/]: {line}", highlight=False)


@sweeps_app.command("list")
def list_command(
    ctx: typer.Context,
    site: str | None = typer.Option(None, "--site", help="Only this site's sweeps."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many, newest first."),
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List the latest sweeps, newest first."""
    from muster.cmdb.sites import get_site
    from muster.cmdb.views import list_sweeps

    fmt = check_format(output_format)
    with open_database(ctx).session() as session:
        code = get_site(session, site).code if site else None
        rows, _total = list_sweeps(session, site=code, limit=limit)
    columns = ("id", "site", "status", "trigger", "started_at", "targets", "alive", "observations")
    render(rows, columns, fmt, title=f"{len(rows)} sweeps")


@sweeps_app.command("show")
def show_command(
    ctx: typer.Context,
    sweep_id: int = typer.Argument(..., help="The sweep's id."),
) -> None:
    """Show one sweep: progress, counts and every error."""
    from muster.cmdb.views import get_sweep

    with open_database(ctx).session() as session:
        sweep = get_sweep(session, sweep_id)
    typer.echo(sweep.model_dump_json(indent=2))


schedules_app = new_app("Per-site sweep schedules (cron), kept in the CMDB.")


@schedules_app.command("list")
def schedules_list_command(
    ctx: typer.Context,
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """List the sites' scheduled sweeps and when each runs next (local time)."""
    from muster.collector.schedule import SweepScheduler
    from muster.collector.service import SweepService

    fmt = check_format(output_format)
    scheduler = SweepScheduler(SweepService(open_database(ctx)))
    scheduler.scheduler.start(paused=True)
    try:
        rows = scheduler.sync()
    finally:
        scheduler.shutdown()
    render(rows, ("site", "schedule", "next_run"), fmt, title=f"{len(rows)} schedules")


@schedules_app.command("run")
def schedules_run_command(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", envvar="MUSTER_CONFIG", help="Apply this TOML configuration first."
    ),
) -> None:
    """Run the sites' scheduled sweeps in the foreground until stopped (Ctrl-C).

    `muster serve` runs the same schedules alongside the API; use this where
    only sweeps are wanted.
    """
    import threading

    from muster.collector.schedule import start_schedules

    database = open_database(ctx)
    if config is not None:
        _apply(database, config)
    scheduler = start_schedules(database)
    for view in scheduler.list():
        console.print(f"{view.site}: {view.schedule} (next {view.next_run:%Y-%m-%d %H:%M})")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown()
