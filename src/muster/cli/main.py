"""The ``muster`` command: one entry point for every part of Muster.

Each command group lives in its own module and is registered here; heavy
imports (SQLAlchemy, pandas, scapy) happen inside commands so that ``muster
--help`` and the agent start fast.
"""

import typer

from muster import __version__
from muster.cli import assets, database, ingest, lab, serve, sites, sweep, tokens
from muster.cli import reports as report_cli
from muster.cli import requirements as requirement_cli
from muster.cli import tickets as ticket_cli
from muster.cli.agent import agent_app
from muster.cli.common import AppState, MusterGroup, setup_logging

app = typer.Typer(
    name="muster",
    help=(
        "Find out what IT equipment each site has, keep it in one CMDB, and tell each "
        "site what it still needs.\n\n"
        "The CMDB is a SQLite file under ~/.local/share/muster unless "
        "[bold]MUSTER_DATABASE_URL[/] or --database-url names another "
        "(postgresql://user@host/db)."
    ),
    cls=MusterGroup,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"muster {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="MUSTER_DATABASE_URL",
        help="CMDB database: sqlite:///PATH or postgresql://USER@HOST/DB.",
        show_envvar=True,
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="Log what happens: -v for steps, -vv for detail."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Options shared by every command."""
    setup_logging(verbose)
    ctx.obj = AppState(database_url=database_url)


app.add_typer(database.db_app, name="db")
app.add_typer(database.schema_app, name="schema")
app.command("ingest")(ingest.ingest_command)
app.add_typer(assets.assets_app, name="assets")
app.add_typer(assets.conflicts_app, name="conflicts")
app.add_typer(sites.site_app, name="site")
app.add_typer(agent_app, name="agent")
app.add_typer(tokens.token_app, name="token")
app.command("serve")(serve.serve_command)
app.add_typer(requirement_cli.requirement_app, name="requirement")
app.add_typer(report_cli.report_app, name="report")
app.add_typer(ticket_cli.ticket_app, name="ticket")
app.add_typer(ticket_cli.events_app, name="events")
app.command("sweep")(sweep.sweep_command)
app.add_typer(sweep.sweeps_app, name="sweeps")
app.add_typer(sweep.schedules_app, name="schedules")
app.add_typer(lab.lab_app, name="lab")


def main() -> None:
    """Run the ``muster`` command."""
    app()
