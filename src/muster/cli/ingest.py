"""``muster ingest``: reconcile a file of Observations into the CMDB."""

import sys
from pathlib import Path
from typing import Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from muster.cli.common import console, open_database
from muster.cmdb.errors import ConfigurationError


def ingest_command(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(
        ..., help="Files of Observations: a JSON array or JSON Lines; '-' reads stdin."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Decide everything, explain each decision, write nothing."
    ),
    explain: bool = typer.Option(
        False, "--explain", help="Explain every decision (always on with --dry-run)."
    ),
    output_format: str = typer.Option(
        "text", "--format", help="text for people, json for programs (every decision)."
    ),
) -> None:
    """Reconcile Observations into the CMDB: one asset per real machine.

    The whole input is checked first; if any Observation is malformed nothing
    is written and every problem is listed with its line. Ingesting the same
    Observations again changes nothing. A long file is committed every 10,000
    Observations: stopped half-way, it keeps what was done, and running it
    again finishes the rest.
    """
    from muster.cmdb.ingest import ingest
    from muster.cmdb.observation import load_observations

    fmt = _format(output_format)
    observations = []
    for path in files:
        observations.extend(load_observations(_read(path), name=str(path)))
    database = open_database(ctx)
    with (
        database.session(writer=True) as session,
        Progress(
            TextColumn("ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=fmt == "json" or len(observations) < 5000,
        ) as progress,
    ):
        task = progress.add_task("ingest", total=len(observations))
        report = ingest(
            session,
            observations,
            dry_run=dry_run,
            commit_batches=True,
            progress=lambda n: progress.advance(task, n),
        )
    if fmt == "json":
        typer.echo(report.model_dump_json(indent=2))
        return
    if dry_run or explain:
        for decision in report.decisions:
            console.print(f"[bold]{decision.index}[/]: {decision.explanation}", highlight=False)
    counts = report.counts()
    table = Table(title="would be" if dry_run else "ingested", show_header=True)
    for outcome in counts:
        table.add_column(outcome, justify="right")
    table.add_row(*(str(n) for n in counts.values()))
    console.print(table)
    conflicts = [c for d in report.decisions for c in d.conflicts]
    for conflict in conflicts:
        console.print(f"[yellow]conflict[/] {conflict}", highlight=False)
    if dry_run:
        console.print("dry run: nothing was written")


def _format(value: str) -> Literal["text", "json"]:
    if value not in ("text", "json"):
        raise ConfigurationError(f"--format {value!r} is not known: use text or json")
    return "json" if value == "json" else "text"


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigurationError(f"file {str(path)!r} does not exist") from exc
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"file {str(path)!r} is not UTF-8 text: {exc.reason}") from exc
